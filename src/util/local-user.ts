/**
 * Who is at the keyboard of the console or the CLI: `local:<login name>`, as policy principals name them.
 * `WS_DOCTOR_USER` overrides it for shared service accounts (and for tests that play two people); it is no
 * stronger than the shell account itself, which could run redis-cli anyway — restrict what local users may do
 * in `policy` (e.g. approvals only from Slack ids) if that matters.
 */
import os from 'node:os';

export function localUser(env: NodeJS.ProcessEnv = process.env): { id: string; name: string } {
  let name = env.WS_DOCTOR_USER;
  if (!name) {
    try {
      name = os.userInfo().username;
    } catch {
      name = env.USER ?? 'unknown';
    }
  }
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_') || 'unknown';
  return { id: `local:${safe}`, name: safe };
}
