/** Token stored in the fallback cache DB (or in neither): `CACHE_URL` drift between processes. */
import type { Runbook } from '../types';

export const fixCacheUrl: Runbook = {
  id: 'fix-cache-url',
  title: 'Point every process at the same cache DB',
  ref: 'target-system §2.2, §4',
  symptom: 'A fresh token is found in DB 4 (Django\'s default without `CACHE_URL`) instead of DB 2, so handshakes on another process say "Invalid or expired token".',
  steps: [
    {
      text: 'Set the same `CACHE_URL` for web, celery and celery-beat (compose `environment:` or `.env`).',
      code: 'CACHE_URL=redis://redis:6379/2',
    },
    { text: 'Restart web (and celery) so they read it: `/ws remediate restart-backend`, then `/ws remediate restart-celery`.' },
    { text: 'If ws-doctor itself looks at the wrong DB, set `redis.dbs.cache` in its config instead.' },
  ],
  verify: ['token-storage', 'chat-handshake'],
};
