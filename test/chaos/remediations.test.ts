/**
 * Chaos area: remediations. Hostile arguments never reach Redis as patterns, a Redis killed in the middle of a
 * flush ends as a failed run that says why (and counts for the breaker), an engine that is gone refuses before
 * anything is pending, an approval replayed after drift is refused, and an edited audit record is named.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Doctor } from '../../src/core/doctor';
import { dispatch } from '../../src/chat/dispatch';
import { renderMessage } from '../../src/slack/render';
import { MemoryStateStore } from '../../src/state/memory-store';
import { unlinkMatching } from '../../src/remediations/primitives/redis-keys';
import { liveMarkup } from '../peers/slack-blocks';
import { startRedisServer, type RedisProcess } from '../peers/redis';
import { chaosRow, observe } from './row';

const alice = { id: 'UALICE' };
const bob = { id: 'UBOB' };
let redis: RedisProcess;
let doctor: Doctor;
let store: MemoryStateStore;

beforeAll(async () => {
  redis = await startRedisServer();
  store = new MemoryStateStore();
  const config = parseConfig({
    environments: { local: { redis: { url: redis.url, commandTimeoutMs: 1000 }, docker: { socketPath: '/nonexistent/engine.sock', timeoutMs: 1000 }, prometheus: { enabled: false } } },
    policy: { verifyDeadlineSeconds: 2 },
  });
  doctor = Doctor.create(config, { stateDir: null, stateStore: store });
});

afterAll(async () => {
  await doctor?.close();
  await redis?.stop();
});

chaosRow('remediate args with glob, markup and extra words (`*`, `<!channel>`, `a b c`)', 'refused naming the parameter; no key touched; no live markup', async () => {
  const c = new Redis(redis.url, { db: 2 });
  await c.set('ava:lock:keep', 'x');
  const texts = ['remediate free-conversation-lock *', 'remediate free-conversation-lock <!channel>', 'remediate clear-leaked-counters 1*', 'remediate clear-leaked-counters 1 2 3'];
  const seen: string[] = [];
  let markup = 0;
  for (const t of texts) {
    const plan = dispatch(t, { doctor, surface: 'slack', prefix: '/ws', user: alice, channel: 'C0OPS' });
    const msg = plan.kind === 'immediate' ? plan.message : await plan.run();
    markup += liveMarkup(renderMessage(msg).blocks).length;
    seen.push(/conversation: |user: |too many arguments/.test(msg.text) ? 'named' : msg.text.slice(0, 60));
  }
  const kept = await c.exists('ava:lock:keep');
  c.disconnect();
  const pending = (await doctor.remediations.list()).length;
  return observe(`${seen.join(', ')}; lock kept: ${kept}; pending: ${pending}; live markup: ${markup}`, seen.every((s) => s === 'named') && kept === 1 && pending === 0 && markup === 0);
});

chaosRow('the watched Redis is killed in the middle of a token flush', 'run ends failed with the reason; the bot keeps answering requests', async () => {
  const c = new Redis(redis.url, { db: 2 });
  // 600,000 tokens: ~400 server calls, so a kill at the first progress report (call 100) lands mid-walk.
  for (let i = 0; i < 600; i++) await c.mset(...Array.from({ length: 1000 }, () => [`allthrive:1:ws_conn_token:${randomBytes(32).toString('base64url')}`, 'x']).flat());
  c.disconnect();
  const out = await doctor.remediations.request({ env: 'local', action: 'flush-connection-tokens', args: [], requester: alice });
  if (out.kind !== 'done') throw new Error(JSON.stringify(out));
  // Killed at the first progress report of the flush (after ~100 batches), i.e. really mid-execution.
  let killed: Promise<void> | undefined;
  const off = doctor.remediations.onChange((r) => {
    // SIGKILL, not a graceful stop: a SIGTERMed Redis finishes the script it is running and the walk races on.
    if (r.id === out.request.id && r.state === 'executing' && r.steps.some((s) => /^unlinked/.test(s.step))) {
      killed ??= (process.kill(redis.pid, 'SIGKILL'), redis.stop());
    }
  });
  const running = doctor.remediations.approve(out.request.id, bob, { previewId: out.request.preview.id, digest: out.request.preview.digest });
  const done0 = await running;
  off();
  await killed;
  if (!killed) throw new Error(`not killed mid-flush: ${JSON.stringify(done0).slice(0, 200)}`);
  const done = done0;
  const r = done.kind === 'done' ? done.request : undefined;
  const still = await doctor.remediations.request({ env: 'local', action: 'clear-leaked-counters', args: ['5'], requester: alice });
  return observe(
    `${r?.state}: ${r?.result?.summary ?? r?.reason}; next request: ${still.kind}`,
    r?.state === 'failed' && /^flush failed: Redis did not answer/.test(r?.result?.summary ?? '') && still.kind === 'refused',
  );
}, 60_000);

chaosRow('SCRIPT FLUSH on the watched Redis in the middle of a token flush (the walk runs as a server-side script)', 'the next call reloads the script; exactly the tokens removed, the other keys kept', async () => {
  const own = await startRedisServer();
  const c = new Redis(own.url, { db: 2 });
  try {
    for (let i = 0; i < 30; i++) await c.mset(...Array.from({ length: 1000 }, (_, j) => [`allthrive:1:ws_conn_token:${randomBytes(32).toString('base64url')}`, 'x', `allthrive:1:other:${i}:${j}`, 'y']).flat());
    const admin = new Redis(own.url);
    let flushed = 0;
    const r = await unlinkMatching(c, 'allthrive:1:ws_conn_token:*', {
      onProgress: (p) => {
        // Twice, mid-walk: the script cache is empty on the next call (as after a restart of that Redis).
        if (p.batches === 5 || p.batches === 15) void admin.script('FLUSH').then(() => flushed++);
      },
    });
    admin.disconnect();
    const left = await c.dbsize();
    return observe(`${r.via}, ${r.unlinked} unlinked, ${left} others left, script cache flushed ${flushed}×`, r.via === 'script' && r.complete && r.unlinked === 30_000 && left === 30_000 && flushed === 2);
  } finally {
    c.disconnect();
    await own.stop();
  }
}, 60_000);

chaosRow('the watched Redis refuses scripts (an ACL user without @scripting) when a token flush runs', 'the same walk from the client (SCAN + UNLINK); exactly the tokens removed; the run says so', async () => {
  const own = await startRedisServer();
  const admin = new Redis(own.url);
  try {
    await admin.call('ACL', 'SETUSER', 'doctor', 'on', '>doctor-pw', '~*', '+@all', '-@scripting');
    const c = new Redis(own.url, { db: 2 });
    for (let i = 0; i < 10; i++) await c.mset(...Array.from({ length: 1000 }, (_, j) => [`allthrive:1:ws_conn_token:${randomBytes(32).toString('base64url')}`, 'x', `allthrive:1:other:${i}:${j}`, 'y']).flat());
    c.disconnect();
    const u = new URL(own.url);
    const config = parseConfig({
      environments: { local: { redis: { url: `redis://doctor@${u.host}`, password: 'doctor-pw', commandTimeoutMs: 1000 }, docker: { enabled: false }, prometheus: { enabled: false } } },
      policy: { verifyDeadlineSeconds: 2 },
    });
    const own2 = Doctor.create(config, { stateDir: null, stateStore: new MemoryStateStore() });
    try {
      const out = await own2.remediations.request({ env: 'local', action: 'flush-connection-tokens', args: [], requester: alice });
      if (out.kind !== 'done') throw new Error(JSON.stringify(out).slice(0, 300));
      const done = await own2.remediations.approve(out.request.id, bob, { previewId: out.request.preview.id, digest: out.request.preview.digest });
      const r = done.kind === 'done' ? done.request : undefined;
      const left = await admin.select(2).then(() => admin.dbsize());
      return observe(`flush: ${r?.result?.summary}; ${left} others left`, /unlinked 10000 token keys .*from the client: the server refused the script/.test(r?.result?.summary ?? '') && left === 10_000);
    } finally {
      await own2.close();
    }
  } finally {
    admin.disconnect();
    await own.stop();
  }
}, 60_000);

chaosRow('restart requested while the Docker engine is gone', 'refused at once with the reason; nothing pending', async () => {
  const t0 = Date.now();
  const out = await doctor.remediations.request({ env: 'local', action: 'restart-backend', args: [], requester: alice });
  const ms = Date.now() - t0;
  const reason = out.kind === 'refused' ? out.reason : out.kind;
  const pending = (await doctor.remediations.list()).filter((r) => r.state === 'pending').length;
  return observe(`${reason.slice(0, 100)} (${ms} ms); pending ${pending}`, out.kind === 'refused' && /nothing to do: Cannot restart/.test(reason) && pending === 0 && ms < 5000);
});

chaosRow('an audit record edited in the store', '`audit verify` names the record as edited', async () => {
  const before = await doctor.remediations.audit.verify();
  const target = Math.max(1, before.records - 2);
  store.tamper('audit', target, (v) => ({ ...(v as object), actor: 'UMALLORY' }));
  const after = await doctor.remediations.audit.verify();
  return observe(`before: ok=${before.ok} (${before.records}); after: ${after.ok ? 'ok' : `broken at #${after.broken?.seq}: ${after.broken?.reason}`}`, before.ok && !after.ok && after.broken?.seq === target);
});
