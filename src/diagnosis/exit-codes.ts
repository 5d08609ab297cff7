/**
 * The one-shot commands' exit codes, for cron and CI: 0 ok, 1 degraded (or unknown), 2 down, 3 bad usage or
 * configuration. The CLI and the bot answering a CLI over its socket use the same table.
 */
import type { Overall } from './types';

export const EXIT: Record<Overall | 'usage', number> = { ok: 0, degraded: 1, unknown: 1, down: 2, usage: 3 };
