/**
 * Which running bot may answer a `ws-doctor status`: one that reads the same config as this command would — the
 * same file with the same content, and the same secrets from the environment. Computed from those raw inputs
 * (a hash), not from the parsed config: parsing it (YAML + the zod schema) is what the delegated command skips.
 *
 * The socket is named by the fingerprint inside a folder only this user may enter, so a CLI finds exactly the
 * bot that would give its own answer, and a config edited since the bot started finds none (and runs alone).
 *
 * Keyed (HMAC with a random key kept in that folder, 0600): socket names are not secret — Linux lists every
 * Unix socket's path in /proc/net/unix for any user, and the bot logs its own — and a plain hash of the config
 * and the passwords would let whoever knows the config try passwords offline against it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PER_ENV_SECRETS } from '../config/env-vars';

/** Bumped when the request or answer changes shape: a bot and a CLI of different shapes never meet. */
export const PROTOCOL = 1;

/**
 * The environment variables a status answer depends on besides the file: the secrets the checks read. (The
 * file's path is hashed itself, however it was given: `--config f` and `WS_DOCTOR_CONFIG=f` are the same.)
 */
const RELEVANT_ENV = new RegExp(`^WS_DOCTOR_(STATE_REDIS_PASSWORD|([A-Z0-9_]+_)?(${PER_ENV_SECRETS.join('|')}))$`);

/**
 * The fingerprint, or undefined when the config cannot be read (then the command runs alone and says why).
 * `configPath`: `--config`, else $WS_DOCTOR_CONFIG, else none (the built-in defaults).
 */
export function configFingerprint(configPath: string | undefined, env: NodeJS.ProcessEnv, key: Buffer): string | undefined {
  const file = configPath ?? env.WS_DOCTOR_CONFIG;
  const hash = createHmac('sha256', key).update(`ws-doctor/${PROTOCOL}\0`);
  if (file) {
    let content: Buffer;
    try {
      content = fs.readFileSync(file);
    } catch {
      return undefined;
    }
    hash.update(`${path.resolve(file)}\0`).update(content).update('\0');
  }
  for (const name of Object.keys(env).filter((k) => RELEVANT_ENV.test(k)).sort()) {
    hash.update(`${name}=${env[name] ?? ''}\0`);
  }
  return hash.digest('hex').slice(0, 24);
}

/** The user's id; undefined where there is none (Windows: no Unix sockets there, every command runs alone). */
export function userId(): number | undefined {
  return process.getuid?.();
}

/** The folder of this user's bot sockets: under the temp dir, private to the user (checked before any use). */
export function socketDir(uid: number, base = os.tmpdir()): string {
  return path.join(base, `ws-doctor-${uid}`);
}

/**
 * True when `dir` is a real folder (not a link) owned by this user that nobody else may enter — a socket in it
 * was put there by this user. Anything else is refused: another user could answer with a made-up verdict.
 */
export function privateDir(dir: string, uid: number): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

const KEY_BYTES = 32;

/** The folder's key: a regular file of this user's that nobody else may read, else undefined. */
function readKey(dir: string, uid: number): Buffer | undefined {
  const file = path.join(dir, 'key');
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0 || st.size !== KEY_BYTES) return undefined;
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** The folder's key, made on first use (exclusively: two bots starting at once end up with the same one). */
function makeKey(dir: string, uid: number): Buffer | undefined {
  try {
    fs.writeFileSync(path.join(dir, 'key'), randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  return readKey(dir, uid);
}

export type SocketPlace = { ok: true; dir: string; file: string } | { ok: false; why: string };

/**
 * Where the bot reading this config serves, or why there is no such place. `create` (the bot): makes the
 * folder and its key when missing; without it (the CLI) nothing is written, and a missing key means no bot has
 * served here. `base`: the temp dir (tests point it elsewhere).
 */
export function locateSocket(configPath: string | undefined, env: NodeJS.ProcessEnv, opts: { create?: boolean; base?: string } = {}): SocketPlace {
  const uid = userId();
  if (uid === undefined) return { ok: false, why: 'no Unix user id here' };
  const dir = socketDir(uid, opts.base);
  if (opts.create) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      return { ok: false, why: `cannot make ${dir} (${(err as NodeJS.ErrnoException).code})` };
    }
  }
  if (!privateDir(dir, uid)) return { ok: false, why: `${dir} is not a folder only this user may enter` };
  const key = opts.create ? makeKey(dir, uid) : readKey(dir, uid);
  if (!key) return { ok: false, why: `${dir}/key is missing or not private to this user` };
  const fp = configFingerprint(configPath, env, key);
  if (!fp) return { ok: false, why: 'the config file cannot be read' };
  return { ok: true, dir, file: path.join(dir, `${fp}.sock`) };
}
