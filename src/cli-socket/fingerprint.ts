/**
 * Which running bot may answer a `ws-doctor status`: one that reads the same config as this command would — the
 * same file with the same content, and the same secrets from the environment. Computed from those raw inputs
 * (a hash), not from the parsed config: parsing it (YAML + the zod schema) is what the delegated command skips.
 *
 * The socket is named by the fingerprint inside a folder only this user may enter, so a CLI finds exactly the
 * bot that would give its own answer, and a config edited since the bot started finds none (and runs alone).
 */
import { createHash } from 'node:crypto';
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
export function configFingerprint(configPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = configPath ?? env.WS_DOCTOR_CONFIG;
  const hash = createHash('sha256').update(`ws-doctor/${PROTOCOL}\0`);
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
export function socketDir(uid: number): string {
  return path.join(os.tmpdir(), `ws-doctor-${uid}`);
}

export function socketPath(uid: number, fingerprint: string): string {
  return path.join(socketDir(uid), `${fingerprint}.sock`);
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
