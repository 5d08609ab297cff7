/**
 * Chaos area: text chosen by an attacker in the watched stack (headers, error codes, log lines, labels) must
 * reach Slack as text, never as markup: no `<!channel>`, mention or disguised link survives in anything the bot
 * posts — check lines, Why, Details thread, modal, App Home. The strict Slack stand-in records every live token.
 */
import { visibleText, waitFor } from '../peers/slack-api';
import { startDemoSlackBot, type DemoSlackBot } from '../peers/demo-slack-bot';
import type { SlackHarness } from '../peers/slack-harness';
import { startHostileBackend, type HostileBackend } from './hostile-backend';
import { chaosRow, observe } from './row';

export const HOSTILE = '<!channel> <@U123> <http://evil.example|click>';

let hostile: HostileBackend;
let bot: DemoSlackBot;
let h: SlackHarness;

beforeAll(async () => {
  bot = await startDemoSlackBot({
    transport: 'http',
    // The backend is seen through a proxy that answers the WS upgrade and the token endpoint with hostile text.
    config: async (stack) => {
      hostile = await startHostileBackend(stack.backend.url, {
        upgrade: (path) => (path === '/ws/health/' ? `HTTP/1.1 301 Moved Permanently\r\nLocation: ${HOSTILE}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n` : undefined),
        http: (method, path) =>
          method === 'POST' && path === '/api/v1/auth/ws-connection-token/' ? { status: 503, body: JSON.stringify({ code: HOSTILE, detail: HOSTILE }) } : undefined,
      });
      const env = stack.config.environments.demo;
      if (!env) throw new Error('demo env missing');
      return { ...stack.config, environments: { ...stack.config.environments, demo: { ...env, backend: { ...env.backend, url: hostile.url } } } };
    },
  });
  h = bot.h;
});

afterAll(async () => {
  await bot?.stop();
  await hostile?.stop();
});

chaosRow('WS upgrade redirect + token error code hold <!channel> <@U123> <http://evil|click>', 'shared status, Details thread: no live mention/link', async () => {
  const mark = h.standIn.liveMarkup.length;
  await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0ALICE' }));
  const msg = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => /wsd:details/.test(JSON.stringify(m.blocks))), 'the shared answer');
  await h.driver.action(h.standIn.click(msg, { kind: 'details' }));
  const thread = await waitFor(() => h.standIn.thread('C0OPS', msg.ts)[0], 'the Details thread');
  await h.app.idle(20000);
  const live = h.standIn.liveMarkup.slice(mark);
  const shown = visibleText(msg) + visibleText(thread);
  const reached = shown.includes('&lt;!channel&gt;');
  return observe(
    live.length ? `${live.length} live token(s): ${[...new Set(live.map((l) => `${l.where} ${l.token}`))].slice(0, 3).join(', ')}` : `0 live tokens; hostile text shown escaped: ${reached}`,
    live.length === 0 && reached,
  );
});

chaosRow('same hostile stack, private answer → Details modal, App Home', 'no live mention/link in modal or Home', async () => {
  const mark = h.standIn.liveMarkup.length;
  await h.driver.command(h.standIn.slashCommand({ text: 'status', user: 'U0BOB' }));
  const msg = await waitFor(() => h.standIn.ephemerals('U0BOB').find((m) => /wsd:details/.test(JSON.stringify(m.blocks))), 'the private answer');
  await h.driver.action(h.standIn.click(msg, { kind: 'details' }, 'U0BOB'));
  await waitFor(() => [...h.standIn.modals.values()].find((m) => m.user === 'U0BOB'), 'the Details modal');
  await h.driver.event(h.standIn.appHomeOpened('U0BOB'));
  const home = await waitFor(() => h.standIn.homeViews.get('U0BOB'), 'the Home tab');
  await h.app.idle(20000);
  const live = h.standIn.liveMarkup.slice(mark);
  const escaped = JSON.stringify(home.view).includes('&lt;!channel&gt;');
  return observe(live.length ? `${live.length} live token(s): ${live.slice(0, 3).map((l) => `${l.where} ${l.token}`).join(', ')}` : `0 live tokens; Home shows it escaped: ${escaped}`, live.length === 0 && escaped);
});

chaosRow('stack echoes planted secrets (JWT, xoxb token, connection token) in error texts', 'none of them in any message the bot sent', async () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudGVkLTQyIn0.cGxhbnRlZFNpZ25hdHVyZTEyMw';
  const xoxb = 'xoxb-123456789012-planted9secret';
  const connToken = 'PlantedConnTokenAbCdEfGhIjKlMnOpQrStUvWxYz0'.slice(0, 43);
  const saved = hostile.rules;
  hostile.rules = {
    upgrade: (path) => (path === '/ws/health/' ? `HTTP/1.1 302 Found\r\nLocation: http://x/?connection_token=${connToken}&auth=Bearer%20${jwt}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n` : undefined),
    http: (method, path) =>
      method === 'POST' && path === '/api/v1/auth/ws-connection-token/' ? { status: 503, body: JSON.stringify({ code: `Bearer ${jwt} ${xoxb}`, detail: `token=${connToken}` }) } : undefined,
  };
  try {
    const mark = { calls: h.standIn.calls.length, urls: h.standIn.responseUrlCalls.length };
    await h.driver.command(h.standIn.slashCommand({ text: 'status share', user: 'U0CAROL' }));
    const msg = await waitFor(() => h.standIn.channelMessages('C0OPS').find((m) => m.versions.some((v) => /U0CAROL/.test(JSON.stringify(v.blocks))) && /wsd:details/.test(JSON.stringify(m.blocks))), 'the shared answer');
    await h.driver.action(h.standIn.click(msg, { kind: 'details' }, 'U0CAROL'));
    await waitFor(() => h.standIn.thread('C0OPS', msg.ts)[0], 'the Details thread');
    await h.app.idle(20000);
    const sent = JSON.stringify([...h.standIn.calls.slice(mark.calls), ...h.standIn.responseUrlCalls.slice(mark.urls)]);
    const leaked = [jwt, xoxb, connToken, 'cGxhbnRlZFNpZ25hdHVyZTEyMw'].filter((s) => sent.includes(s));
    return observe(leaked.length ? `leaked: ${leaked.map((s) => s.slice(0, 12) + '…').join(', ')}` : `${sent.length} bytes sent, no planted secret`, leaked.length === 0);
  } finally {
    hostile.rules = saved;
  }
});
