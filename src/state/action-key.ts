/**
 * The key that seals button values (chat/actions/seal.ts). It must be known only to the bot and survive
 * restarts — a restart must not turn every button in the workspace into a "forged" one — so it lives in the
 * bot's own state folder, created once (0600, exclusive create: two processes starting together agree on one).
 * Replicas sharing a Redis state store share the key through the store instead (`actionKeyFromStore`): a
 * button made by one replica must be accepted by the one that receives the click.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { StateStore } from './store';

export const ACTION_KEY_FILE = 'action-key';

export interface ActionKey {
  key: Buffer;
  /** Where it is kept, or why it is only in memory (buttons then stop working after a restart). */
  source: string;
  persistent: boolean;
}

export function loadActionKey(stateDir: string | null): ActionKey {
  if (stateDir === null) return { key: randomBytes(32), source: 'memory (no state folder)', persistent: false };
  const file = path.join(stateDir, ACTION_KEY_FILE);
  try {
    fs.mkdirSync(stateDir, { recursive: true });
    if (!fs.existsSync(file)) {
      // Written whole to a private temporary file, then linked into place: link fails if another process got
      // there first (both then read the winner's key), and nobody ever reads a half-written key.
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      fs.writeFileSync(tmp, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
      try {
        fs.linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    }
    const hex = fs.readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-f]{64,}$/.test(hex)) throw new Error(`${file} does not hold a key (64+ hex digits); delete it to make a new one`);
    return { key: Buffer.from(hex, 'hex'), source: file, persistent: true };
  } catch (err) {
    return { key: randomBytes(32), source: `memory (${(err as Error).message})`, persistent: false };
  }
}

const STORE_KEY = 'bot:action-key';

/** The key from the shared state store: the first replica to start creates it (compare-and-set), all read it. */
export async function actionKeyFromStore(store: StateStore): Promise<ActionKey> {
  let cur = await store.get<string>(STORE_KEY);
  if (!cur) {
    await store.cas(STORE_KEY, 0, randomBytes(32).toString('hex'));
    cur = await store.get<string>(STORE_KEY);
  }
  if (!cur || !/^[0-9a-f]{64,}$/.test(cur.value)) throw new Error(`${store.description} holds no usable ${STORE_KEY}`);
  return { key: Buffer.from(cur.value, 'hex'), source: `${store.description} ${STORE_KEY}`, persistent: true };
}
