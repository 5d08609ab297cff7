/**
 * Chaos area: the Docker engine as the bot meets it in production — a whole bot process (Slack HTTP mode against
 * the strict stand-in) reading a real Docker Engine API (podman's service) and the demo backend + redis-server.
 *
 * - Hostile container output: log lines and compose labels holding `<!channel>`, mentions, disguised links,
 *   backticks, ANSI/OSC escapes, a 20 KB line, invalid UTF-8 and planted secrets. Everything reaches Slack as
 *   text (escaped, no live markup, no terminal control bytes), redacted, and the log-marker counts stay right.
 * - The engine going away: its socket file deleted under a running bot, its service SIGKILLed while a run reads
 *   a long log, then brought back on the same socket. Container checks answer `unknown` naming the socket, the
 *   backend is not called Down for it, the bot keeps answering, and the next run after the engine is back is
 *   whole again.
 *
 * The engine rows run last (they take the engine away from the rows before them).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, promises as fs, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { DEMO_SERVICE_ACCOUNT } from '../../src/demo/users';
import { startBotProcess, type BotProcess } from '../peers/bot-process';
import { runCli } from '../peers/cli-process';
import { startPodman, type PodmanPeer } from '../peers/podman';
import { REPO_ROOT, startSlackStandIn, visibleText, waitFor, type SlackStandIn, type StoredMessage } from '../peers/slack-api';
import { httpDriver, type SlackDriver } from '../peers/slack-drivers';
import { chaosRow, observe } from './row';
import { plantedSecrets, scanForSecrets, sleep, startDemoStack, type DemoStack } from './support';

jest.setTimeout(180000);

const HOSTILE = '<!channel> <@U123> <http://evil.example|click>';
const HOSTILE_SERVICE = '<!here>-<@U0EVIL>-<http://evil.example|free>';
const planted = plantedSecrets();
const ORIGIN_REJECTS = 5;
const CONNECTED = 2;

/** The web service's log, byte for byte: hostile text among real markers, then the planted secrets. */
function hostileLog(): Buffer {
  const text = (s: string): Buffer => Buffer.from(s + '\n', 'utf8');
  const parts: Buffer[] = [
    text('INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)'),
    text('INFO:     Application startup complete.'),
  ];
  for (let i = 0; i < ORIGIN_REJECTS; i++) parts.push(text(`WARNING WebSocket rejected - unauthorized origin: ${HOSTILE} #${i}`));
  for (let i = 0; i < CONNECTED; i++) parts.push(text(`INFO WebSocket connected: user=<@U123> path=\`/ws/chat/c${i}/\` \`\`\` *broken out* \`\`\` <#C0GENERAL>`));
  parts.push(
    // Colour codes, a cursor move that would hide the line before it, an OSC title and a bell.
    text('\u001b[31mERROR\u001b[0m \u001b[1A\u001b[2K\u001b]0;owned-title\u0007 coloured line <!subteam^S0ADMINS>'),
    // Invalid UTF-8 (a lone continuation byte, an overlong start, a truncated sequence) around markup.
    Buffer.concat([Buffer.from([0xff, 0xfe, 0x20, 0xc3, 0x28, 0x20]), text('bad bytes <!here> after them')]),
    // A right-to-left override: shown as is, "invoice‮fdp.exe" reads "invoiceexe.pdf".
    text('download invoice‮fdp.exe now'),
    text(`LONG ${'A'.repeat(20000)} ${HOSTILE} end-of-long-line`),
  );
  for (const l of planted.lines) parts.push(text(l));
  return Buffer.concat(parts);
}

let stack: DemoStack;
let podman: PodmanPeer;
let standIn: SlackStandIn;
let bot: BotProcess;
let driver: SlackDriver;
let logDir: string;

function env(project: string, docker: Record<string, unknown> = {}, budget = { deadlineMs: 30000, timeoutMs: 20000 }): Record<string, unknown> {
  return {
    backend: { url: stack.backend.url, serviceAccount: { email: DEMO_SERVICE_ACCOUNT.email, password: DEMO_SERVICE_ACCOUNT.password }, timeoutMs: 10000 },
    redis: { url: stack.redis.url },
    prometheus: { enabled: false },
    docker: { socketPath: podman.socketPath, project, expectedServices: ['web'], criticalServices: ['web'], timeoutMs: 5000, ...docker },
    // A loaded 2-core box must not turn slow answers into verdicts: these rows are about the engine and text.
    checks: { ...budget, thresholds: { redisPingWarnMs: 2000, tokenLatencyWarnMs: 5000, handshakeWarnMs: 5000, channelRoundTripWarnMs: 5000 } },
  };
}

/** The bot's (and the CLI's) config: the hostile project (short log) and the bulk one (a long log). */
function cliConfig(): { defaultEnv: string; environments: Record<string, unknown> } {
  return {
    defaultEnv: 'hostile',
    environments: {
      hostile: env('wsdhostile'),
      // podman reads a long log slowly (its `tail` walks the file): a run's log read is still in flight many
      // seconds in, when the engine is taken away. It ends by docker.timeoutMs (15 s) if nothing else ends it.
      bulk: env('wsdbulk', { logTailLines: 10_000_000, logWindowSeconds: 3600, timeoutMs: 15000 }),
    },
  };
}

beforeAll(async () => {
  stack = await startDemoStack();
  podman = await startPodman();
  logDir = mkdtempSync(path.join(os.tmpdir(), 'wsd-chaos-log-'));
  writeFileSync(path.join(logDir, 'web.log'), hostileLog());
  const idle = 'while true; do sleep 1; done';
  await Promise.all([
    podman.run({ name: 'wsdhostile-web-1', compose: { project: 'wsdhostile', service: 'web' }, volumes: [`${logDir}:/in:ro`], cmd: `cat /in/web.log; ${idle}` }),
    podman.run({ name: 'wsdhostile-evil-1', compose: { project: 'wsdhostile', service: HOSTILE_SERVICE }, labels: { 'org.example.note': HOSTILE }, cmd: idle }),
    // A long log: a status run reading it is still reading when the engine is taken away.
    podman.run({ name: 'wsdbulk-web-1', compose: { project: 'wsdbulk', service: 'web' }, cmd: `seq 1 250000 | sed 's/^/INFO noise line number /'; ${idle}` }),
  ]);
  standIn = await startSlackStandIn({ manifestPath: path.join(REPO_ROOT, 'manifest.http.yml') });
  const secret = randomBytes(16).toString('hex');
  bot = await startBotProcess({
    config: cliConfig(),
    http: true,
    env: { SLACK_BOT_TOKEN: standIn.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: standIn.apiUrl },
    // A loaded 2-core box can take a while to load the bot's modules.
    healthTimeoutMs: 120000,
  });
  driver = httpDriver(standIn, bot.eventsUrl ?? '', secret);
  // The log lines must be in the engine's log before the first row reads it.
  for (let i = 0; !(await podman.podman(['logs', 'wsdhostile-web-1'])).stdout.includes('DATABASE_PASSWORD'); i++) {
    if (i > 100) throw new Error('the hostile log never reached the engine');
    await sleep(200);
  }
}, 300000);

afterAll(async () => {
  await bot?.stop();
  await standIn?.close();
  await podman?.cleanup();
  await stack?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

/** `/ws <text>` as `user`; resolves with the user's private answer once it matches `done`. */
async function ask(text: string, user: string, done: RegExp, timeoutMs = 60000): Promise<StoredMessage> {
  await driver.command(standIn.slashCommand({ text, user }));
  return await waitFor(() => standIn.ephemerals(user).find((m) => done.test(visibleText(m))), `the answer to ${text} (${done})`, timeoutMs);
}

/** Everything the bot sent Slack since `mark`, as one string. */
function sentSince(mark: { calls: number; urls: number }): string {
  return JSON.stringify([...standIn.calls.slice(mark.calls), ...standIn.responseUrlCalls.slice(mark.urls)]);
}
const markNow = (): { calls: number; urls: number; live: number; refusals: number } => ({
  calls: standIn.calls.length,
  urls: standIn.responseUrlCalls.length,
  live: standIn.liveMarkup.length,
  refusals: standIn.refusals.length,
});

/** Control characters a terminal or Slack would act on (C0 but tab and newline, DEL, C1, bidi overrides). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

chaosRow(
  'web log lines hold <!channel>, <@U123>, a disguised link, ``` , ANSI/OSC escapes, invalid UTF-8, a 20 KB line',
  '`/ws logs web`: shown as escaped text, no live markup, no control bytes, long line cut, nothing refused',
  async () => {
    const mark = markNow();
    const msg = await ask('logs web --tail 100', 'U0LOGS', /DATABASE_PASSWORD/);
    await sleep(500);
    const shown = visibleText(msg);
    const live = standIn.liveMarkup.slice(mark.live);
    const refused = standIn.refusals.slice(mark.refusals);
    // What was sent, decoded from JSON: a control byte in any string the bot sent.
    const sentStrings: string[] = [];
    JSON.parse(sentSince(mark), (_k, v: unknown) => (typeof v === 'string' && sentStrings.push(v), v));
    const control = sentStrings.some((t) => CONTROL.test(t));
    const problems = [
      live.length ? `${live.length} live token(s) ${live.slice(0, 2).map((l) => l.token).join(' ')}` : '',
      refused.length ? `refused: ${refused.map((r) => r.error).join(',')}` : '',
      shown.includes('&lt;!channel&gt;') ? '' : 'hostile text not shown (escaped)',
      shown.includes('end-of-long-line') ? 'the 20 KB line was not cut' : '',
      /ERROR +coloured line/.test(shown) && !shown.includes('owned-title') ? '' : `escape codes not dropped (or their line lost): ${shown.split('\n').find((l) => l.includes('coloured')) ?? 'no line'}`,
      control ? 'control bytes sent to Slack' : '',
    ].filter(Boolean);
    return observe(problems.length ? problems.join('; ') : `${shown.length} chars shown: escaped, no live markup, no control bytes, long line cut`, problems.length === 0);
  },
);

chaosRow('`ws-doctor logs web` in a terminal on the same log', 'no escape sequence or control character reaches the terminal; the lines are there', async () => {
  const file = path.join(logDir, 'ws-doctor.yml');
  writeFileSync(file, YAML.stringify(cliConfig()));
  const r = await runCli(['logs', 'web', '--tail', '100'], { env: { WS_DOCTOR_CONFIG: file }, killAfterMs: 90000 });
  const control = r.stdout.split('\n').filter((l) => CONTROL.test(l));
  const shown = /ERROR +coloured line/.test(r.stdout) && r.stdout.includes('DATABASE_PASSWORD=[REDACTED]');
  return observe(
    `exit ${r.code}; ${control.length} line(s) with control characters${control.length ? `: ${JSON.stringify(control[0]).slice(0, 80)}` : ''}; lines shown: ${shown}`,
    r.code === 0 && control.length === 0 && shown,
  );
});

chaosRow(
  'compose service label and a label hold <!here>, <@U0EVIL>, a disguised link',
  'shared status + Details thread: label shown as text, no live markup',
  async () => {
    const mark = markNow();
    await driver.command(standIn.slashCommand({ text: 'status share', user: 'U0LABEL' }));
    const msg = await waitFor(() => standIn.channelMessages('C0OPS').find((m) => /U0LABEL/.test(visibleText(m)) && /wsd:details/.test(JSON.stringify(m.blocks))), 'the shared answer', 60000);
    await driver.action(standIn.click(msg, { kind: 'details' }, 'U0LABEL'));
    const thread = await waitFor(() => standIn.thread('C0OPS', msg.ts)[0], 'the Details thread', 30000);
    await sleep(500);
    const shown = visibleText(msg) + '\n' + visibleText(thread);
    const live = standIn.liveMarkup.slice(mark.live);
    const labelShown = shown.includes('&lt;!here&gt;-&lt;@U0EVIL&gt;');
    return observe(
      live.length ? `${live.length} live token(s): ${live.slice(0, 3).map((l) => `${l.where} ${l.token}`).join(', ')}` : `0 live tokens; hostile service label shown escaped: ${labelShown}`,
      live.length === 0 && labelShown,
    );
  },
);

chaosRow(
  `${ORIGIN_REJECTS} origin rejections + ${CONNECTED} connects among the hostile lines`,
  'backend-logs still counts them: "5 handshake(s) rejected for their Origin", origin-rejections diagnosed',
  async () => {
    await driver.command(standIn.slashCommand({ text: 'check backend-logs', user: 'U0COUNT' }));
    const msg = await waitFor(() => standIn.ephemerals('U0COUNT').find((m) => /Origin/.test(visibleText(m))), 'the backend-logs answer', 60000);
    const text = visibleText(msg);
    const counted = new RegExp(`${ORIGIN_REJECTS} handshake\\(s\\) rejected for their Origin`).test(text);
    return observe(counted ? `"${/\d+ handshake\(s\) rejected for their Origin/.exec(text)?.[0] ?? ''}"` : `not counted: ${text.slice(0, 200)}`, counted);
  },
);

chaosRow(
  'log lines plant a JWT, Authorization: Bearer, session + CSRF cookies, passwords, a Slack token, a connection token',
  "none of them in any message the bot sent or any line of the bot's own log",
  async () => {
    const logsMsg = await ask('logs web --tail 200', 'U0SECRET', /DATABASE_PASSWORD/);
    const shownLogs = visibleText(logsMsg);
    await driver.command(standIn.slashCommand({ text: 'logs web --grep Bearer', user: 'U0GREP' }));
    await waitFor(() => standIn.ephemerals('U0GREP').find((m) => /Bearer/.test(visibleText(m))), 'the grep answer', 60000);
    await sleep(500);
    const everything = [sentSince({ calls: 0, urls: 0 }), bot.logs()];
    const leaked = scanForSecrets(everything, planted);
    const sawLines = /DATABASE_PASSWORD=\[REDACTED\]/.test(shownLogs) && /Bearer \[REDACTED\]/.test(shownLogs);
    return observe(
      leaked.length ? `leaked: ${leaked.join(', ')}` : `${everything[0]?.length ?? 0} bytes sent + ${bot.logs().length} bytes of log: no planted secret; lines shown redacted: ${sawLines}`,
      leaked.length === 0 && sawLines,
    );
  },
);

// ── the engine goes away (last: these rows take the engine from the rows above) ─────────────────────────────

/** A private `/ws status --env bulk` as `user`, once its verdict is in (the footer "N checks in T ms"). */
const bulkStatus = (user: string, timeoutMs = 90000): Promise<StoredMessage> => ask('status --env bulk', user, /checks in \d+ ms/, timeoutMs);

/** The line of one check in a status answer ("❔ *containers* — …"). */
const lineOf = (m: StoredMessage, check: string): string => visibleText(m).split('\n').find((l) => l.includes(`*${check}*`)) ?? `(no ${check} line)`;
const verdictOf = (m: StoredMessage): string => visibleText(m).split('\n')[0] ?? '';
const DOCKER_CHECKS = ['containers', 'container-restarts', 'backend-logs'];
const BACKEND_CHECKS = ['http-liveness', 'ws-edge', 'token-issuance', 'chat-handshake'];

/** What a status answer says of the engine (its container checks' status emoji) and of the backend's checks. */
function engineView(m: StoredMessage): { dockerUnknown: boolean; recovered: boolean; backendOk: boolean; down: boolean } {
  const lines = DOCKER_CHECKS.map((c) => lineOf(m, c));
  return {
    dockerUnknown: lines.every((l) => l.startsWith('❔')),
    // Back: every container check ran again (the hostile log's origin rejections make backend-logs warn, not ❔).
    recovered: lines.every((l) => l.includes('*') && !l.startsWith('❔')) && lineOf(m, 'containers').startsWith('✅'),
    backendOk: BACKEND_CHECKS.every((c) => lineOf(m, c).startsWith('✅')),
    down: /\bDown\b/.test(verdictOf(m)),
  };
}

/** `/ws help` as `user` while something else goes on: answered (at once, in the ack). */
async function helpAnswered(user: string): Promise<boolean> {
  await driver.command(standIn.slashCommand({ text: 'help', user }));
  return Boolean(await waitFor(() => standIn.ephemerals(user).find((m) => /\/ws status/.test(visibleText(m))), 'help', 30000).catch(() => undefined));
}

const alive = async (): Promise<boolean> => (await Promise.race([bot.exited.then(() => false), sleep(50).then(() => true)]));

chaosRow(
  'engine socket file deleted while a status run reads a 250 000-line log',
  'no crash; next run: container checks ❔ naming the socket, backend checks ok, not Down; help answered',
  async () => {
    const inFlight = bulkStatus('U0GONE1');
    await sleep(2500);
    await fs.rm(podman.socketPath);
    const first = await inFlight;
    const helped = await helpAnswered('U0GONEHELP');
    const next = await bulkStatus('U0GONE2');
    const v = engineView(next);
    const named = /no Docker engine socket at unix:\/\/\S*engine\.sock/.test(lineOf(next, 'containers'));
    const up = await alive();
    const notOk = visibleText(next).split('\n').filter((l) => /^(❌|⚠️|❔) \*/.test(l) && !DOCKER_CHECKS.some((c) => l.includes(`*${c}*`)));
    return observe(
      `in-flight run: ${lineOf(first, 'backend-logs').slice(0, 60)}…; next: "${verdictOf(next).slice(0, 70)}", docker ❔ ${v.dockerUnknown}, socket named ${named}, backend ok ${v.backendOk}${notOk.length ? ` (${notOk.join(' | ').slice(0, 400)})` : ''}; help ${helped}; bot up ${up}`,
      v.dockerUnknown && named && v.backendOk && !v.down && helped && up,
    );
  },
);

/** A private `/ws status` (the hostile env: a short log) as `user`, once its verdict is in. */
const shortStatus = (user: string): Promise<StoredMessage> => ask('status', user, /checks in \d+ ms/);

chaosRow('engine back: service restarted on the same socket', 'the next status: no container check ❔, containers ✅, no restart of the bot', async () => {
  await podman.restartService();
  const m = await shortStatus('U0BACK1');
  const v = engineView(m);
  return observe(`"${verdictOf(m).slice(0, 70)}"; ${DOCKER_CHECKS.map((c) => lineOf(m, c).slice(0, 60)).join(' / ')}`, v.recovered && v.backendOk && (await alive()));
});

chaosRow(
  'engine service SIGKILLed while a status run reads a 250 000-line log',
  'the run answers at once, not after the 15 s engine timeout: log check ❔ naming the engine, backend ok, not Down; help answered meanwhile',
  async () => {
    const t0 = Date.now();
    const inFlight = bulkStatus('U0KILL1');
    await sleep(2500);
    await podman.stopService('SIGKILL');
    const killedAt = Date.now() - t0;
    const helped = await helpAnswered('U0KILLHELP');
    const m = await inFlight;
    const answeredAfterKill = Date.now() - t0 - killedAt;
    const v = engineView(m);
    const logLine = lineOf(m, 'backend-logs');
    const named = /unix:\/\/\S*engine\.sock/.test(logLine);
    return observe(
      `killed at ${killedAt} ms, answer ${answeredAfterKill} ms later: backend-logs "${logLine.slice(0, 90)}…", backend ok ${v.backendOk}, "${verdictOf(m).slice(0, 50)}"; help ${helped}`,
      logLine.startsWith('❔') && named && v.backendOk && !v.down && helped && answeredAfterKill < 10000 && (await alive()),
    );
  },
);

chaosRow('engine back after the kill', 'the next status: no container check ❔, containers ✅', async () => {
  await podman.restartService();
  const m = await shortStatus('U0BACK2');
  const v = engineView(m);
  return observe(`"${verdictOf(m).slice(0, 70)}"; ${DOCKER_CHECKS.map((c) => lineOf(m, c).slice(0, 60)).join(' / ')}`, v.recovered && v.backendOk && (await alive()));
});
