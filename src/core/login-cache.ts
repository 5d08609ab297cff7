/**
 * The probe user's login kept in the state store (targets/session.ts LoginCache), so one-shot runs (cron, CI)
 * reuse it instead of logging in on every run. It is a secret: it lives only in the bot's own store (the embedded
 * file is private to the bot's user, state/sqlite-store.ts), expires with its reuse window, is dropped as soon
 * as the server refuses it, and is never printed, logged or put in a finding.
 *
 * The key names the backend URL and the probe user (hashed), so a JWT is never sent to another server or used
 * for another user after the config changed.
 */
import { createHash } from 'node:crypto';
import type { StateStore } from '../state/store';
import type { CachedLogin, LoginCache } from '../targets/session';

export function loginCacheKey(env: string, backendUrl: string, email: string): string {
  const id = createHash('sha256').update(`${backendUrl}\n${email}`).digest('hex').slice(0, 32);
  return `probe-login:${env}:${id}`;
}

export function stateLoginCache(store: StateStore, key: string, now: () => number = Date.now): LoginCache {
  return {
    async load() {
      return (await store.get<CachedLogin>(key))?.value;
    },
    async save(login) {
      const ttlMs = login.validUntil - now();
      if (ttlMs > 0) await store.put(key, login, { ttlMs });
    },
    async drop() {
      await store.delete(key);
    },
  };
}
