/**
 * Shared fixtures for chaos areas. The peers live in test/peers/: `startDemoStack()` (demo-stack.ts: redis-server
 * + demo backend + a config for it, re-exported here), `startDemoSlackBot()` (demo-slack-bot.ts: that stack, a
 * Doctor recording its runs, the real Slack adapter against the stand-in). Here: planted secrets and the scan
 * for them. Each area file starts what it needs in beforeAll and stops it in afterAll.
 */
import { randomBytes } from 'node:crypto';
export { startDemoStack, type DemoStack } from '../peers/demo-stack';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Secrets a row plants in what the watched stack says (log lines, headers, error bodies), fresh per run so a
 * hit can only come from this run. `lines` are realistic lines that carry them (what Django, uvicorn, a proxy
 * or an env dump would print); `values` are what must never appear in anything the bot sent or logged.
 */
export interface PlantedSecrets {
  lines: string[];
  values: string[];
}

export function plantedSecrets(): PlantedSecrets {
  const r = (n: number): string => randomBytes(n).toString('base64url').slice(0, n);
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const jwt = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user_id: 42, jti: r(12) })}.${r(43)}`;
  const bearer = r(40);
  const sessionid = r(32);
  const csrftoken = r(32);
  const password = `Pw${r(14)}`;
  const slackToken = `xoxb-${Date.now()}-${r(24)}`;
  const connToken = r(43);
  const dbPassword = `Db${r(16)}`;
  return {
    values: [jwt, bearer, sessionid, csrftoken, password, slackToken, connToken, dbPassword],
    lines: [
      `WARNING [WS_AUTH] JWT refused: ${jwt}`,
      `DEBUG upstream request headers: Authorization: Bearer ${bearer}`,
      `DEBUG request Cookie: sessionid=${sessionid}; csrftoken=${csrftoken}`,
      `ERROR login failed for {"email": "probe@example.com", "password": "${password}"}`,
      `INFO notifying Slack with ${slackToken}`,
      `INFO:     127.0.0.1:51000 - "WebSocket /ws/chat/c1/?connection_token=${connToken}" [accepted]`,
      `INFO settings: DATABASE_PASSWORD=${dbPassword} REDIS_URL=redis://:${password}@redis:6379/0`,
    ],
  };
}

/** The planted values found in `texts` (each shown by its first 8 characters: the report must not leak them). */
export function scanForSecrets(texts: string | string[], planted: PlantedSecrets): string[] {
  const all = Array.isArray(texts) ? texts.join('\n') : texts;
  return planted.values.filter((v) => all.includes(v)).map((v) => `${v.slice(0, 8)}…`);
}
