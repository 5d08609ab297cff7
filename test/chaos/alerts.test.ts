/**
 * Chaos rows for alert rules and the Alertmanager receiver: Prometheus refusing, black-holing or answering
 * garbage (one meta-alert, nothing resolves), hostile text in alerts (never markup, secrets redacted), forged
 * and oversized webhooks (401 / 413, nothing stored), and a broken rule file (exit 1 naming rule and field).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AlertStore } from '../../src/alerts/alert-store';
import { alertmanagerHandler } from '../../src/alerts/alertmanager';
import { META_RULE } from '../../src/alerts/evaluator';
import { parseRuleText } from '../../src/alerts/rules/load';
import { AlertService } from '../../src/alerts/service';
import type { IncidentSink } from '../../src/alerts/sink';
import type { IncidentView } from '../../src/alerts/types';
import { incidentCard } from '../../src/chat/alert-card';
import { renderMessage } from '../../src/slack/render';
import Database from 'better-sqlite3';
import { MemoryStateStore } from '../../src/state/memory-store';
import { SqliteStore } from '../../src/state/sqlite-store';
import { PrometheusQueryClient } from '../../src/targets/prometheus';
import { freePort } from '../../src/util/net';
import { chaosRow, observe } from './row';

const RULES = parseRuleText(`groups:\n  - name: g\n    rules:\n      - alert: Up\n        expr: vector(1) > 0\n        annotations: { summary: always }\n`, 'r.yml', { defaultIntervalMs: 1000 }).rules;

function recordingSink(): IncidentSink & { posts: IncidentView[]; notes: string[]; rendered: string[] } {
  const posts: IncidentView[] = [];
  const notes: string[] = [];
  const rendered: string[] = [];
  let n = 0;
  return {
    posts,
    notes,
    rendered,
    postCard: async (v, channel) => {
      posts.push(v);
      const card = incidentCard(v);
      const r = renderMessage(card.model, card.note ? { note: card.note } : {});
      rendered.push(r.text + JSON.stringify(r.blocks.filter((b) => b.type !== 'header')));
      return { channel, ts: `${++n}.0` };
    },
    updateCard: async () => undefined,
    threadNote: async (_v, note) => void notes.push(note.text),
  };
}

/** A service whose Prometheus is `url`, with one rule already firing and delivered (so a false resolve would show). */
async function firingService(url: string, sink = recordingSink()) {
  const store = new MemoryStateStore();
  const healthy = new AlertService({ store, sink, rules: RULES, envs: ['demo'], prometheusFor: () => ({ url: 'x', query: async () => ({ kind: 'ok', series: [{ labels: {}, value: 1 }], latencyMs: 0 }) }), defaultChannel: 'C1' });
  await healthy.tick('demo');
  const client = new PrometheusQueryClient({ url, timeoutMs: 1000 });
  const svc = new AlertService({ store, sink, rules: RULES, envs: ['demo'], prometheusFor: () => client, defaultChannel: 'C1' });
  return { svc, sink, store: new AlertStore(store) };
}

async function outcome(url: string): Promise<{ text: string; pass: boolean }> {
  const { svc, sink, store } = await firingService(url);
  const t0 = Date.now();
  for (let i = 0; i < 3; i++) await svc.tick('demo');
  const ms = Date.now() - t0;
  const alerts = await store.alerts('demo');
  const up = alerts.find((a) => a.rule === 'Up');
  const metaCards = sink.posts.filter((p) => p.root.rule === META_RULE).length;
  const resolved = sink.notes.filter((n) => /resolved/.test(n)).length;
  return {
    text: `Up ${up?.phase}, ${metaCards} meta-alert card, ${resolved} resolve notes, 3 ticks in ${ms} ms`,
    pass: up?.phase === 'firing' && metaCards === 1 && resolved === 0 && ms < 6000,
  };
}

const servers: Array<{ close(): void }> = [];
afterAll(() => servers.forEach((s) => s.close()));

chaosRow('Prometheus refuses connections', 'one "cannot evaluate rules" card, firing alert stays firing, no resolve', async () => {
  const r = await outcome(`http://127.0.0.1:${await freePort()}`);
  return observe(r.text, r.pass);
});

chaosRow('Prometheus accepts and never answers', 'ticks bounded by the query timeout; one meta-alert; no resolve', async () => {
  const server = net.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const r = await outcome(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return observe(r.text, r.pass);
});

chaosRow('Prometheus answers 503 with HTML', 'treated as an outage (not a rule error): one meta-alert; no resolve', async () => {
  const server = http.createServer((_req, res) => {
    res.writeHead(503, { 'content-type': 'text/html' });
    res.end('<html>Service Unavailable</html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  const r = await outcome(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return observe(r.text, r.pass);
});

async function amServer(receive: (env: string, n: number) => void) {
  const store = new MemoryStateStore();
  const sink = recordingSink();
  const svc = new AlertService({ store, sink, rules: [], envs: ['demo'], prometheusFor: () => undefined, defaultChannel: 'C1' });
  const handler = alertmanagerHandler({ token: 'tok-123', env: 'demo', receive: async (env, alerts) => (receive(env, alerts.length), await svc.receiveAlertmanager(env, alerts)) });
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`, sink, store: new AlertStore(store) };
}

const payload = (summary: string) => ({ groupKey: 'g', alerts: [{ status: 'firing', labels: { alertname: 'Hostile' }, annotations: { summary } }] });

chaosRow('Alertmanager webhook without, with a wrong, or with a token in the wrong place', '401 each, nothing stored or posted', async () => {
  let received = 0;
  const am = await amServer(() => received++);
  const body = JSON.stringify(payload('x'));
  const statuses = await Promise.all(
    ([{}, { authorization: 'Bearer nope' }, { 'x-token': 'tok-123' }, { authorization: 'tok-123' }] as Array<Record<string, string>>).map(async (h) => (await fetch(am.url, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body })).status),
  );
  const stored = (await am.store.alerts()).length;
  return observe(`HTTP ${statuses.join(', ')}; ${received} delivered, ${stored} stored, ${am.sink.posts.length} cards`, statuses.every((s) => s === 401) && received === 0 && stored === 0 && am.sink.posts.length === 0);
});

chaosRow('Alertmanager webhook of 2 MB', '413, nothing stored', async () => {
  const am = await amServer(() => undefined);
  const r = await fetch(am.url, { method: 'POST', headers: { authorization: 'Bearer tok-123', 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) });
  const stored = (await am.store.alerts()).length;
  return observe(`HTTP ${r.status}, ${stored} stored`, r.status === 413 && stored === 0);
});

chaosRow('Alert text with <!channel>, a disguised link, a mention and a Slack token', 'card shows it as text: no live markup, token redacted', async () => {
  const am = await amServer(() => undefined);
  const token = 'xoxb-1234567890-abcdefghijklmnop';
  const r = await fetch(am.url, { method: 'POST', headers: { authorization: 'Bearer tok-123', 'content-type': 'application/json' }, body: JSON.stringify(payload(`<!channel> <https://evil.test|click> <@U0BOSS> ${token}`)) });
  const card = am.sink.rendered.join('\n');
  const live = /<!channel>|<https:\/\/evil|<@U0BOSS>/.test(card);
  return observe(`HTTP ${r.status}; live markup ${live ? 'present' : 'absent'}; token ${card.includes(token) ? 'leaked' : 'redacted'}`, r.status === 200 && !live && !card.includes(token) && am.sink.posts.length === 1);
});

chaosRow('Rule file with a bad duration and an unknown check', '`rules check` exits 1 naming rule and field', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsd-chaos-rules-'));
  try {
    const f = path.join(dir, 'bad.yml');
    writeFileSync(f, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: soon\n      - alert: B\n        check: rediss\n');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.resolve(__dirname, '../../src/cli.ts'), 'rules', 'check', f, '--prometheus', `http://127.0.0.1:${await freePort()}`], { encoding: 'utf8', timeout: 30_000 });
    const named = /rule "A" \(groups\[0\]\.rules\[0\]\) for:/.test(r.stderr) && /rule "B" .* check: names no check "rediss"/.test(r.stderr);
    return observe(`exit ${r.status}; ${named ? 'both named with field' : r.stderr.slice(0, 200)}`, r.status === 1 && named);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

chaosRow('Corrupt alert rows in the SQLite file between two runs (not JSON, wrong shape, a list for an incident)', 'next run ticks on: bad rows ignored and logged once, the firing alert kept, nothing re-posted', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wsd-chaos-alert-rows-'));
  const file = path.join(dir, 'state.sqlite');
  const always = { url: 'x', query: async () => ({ kind: 'ok' as const, series: [{ labels: {}, value: 1 }], latencyMs: 0 }) };
  try {
    const sink = recordingSink();
    const first = new SqliteStore({ file });
    const a = new AlertService({ store: first, sink, rules: RULES, envs: ['demo'], prometheusFor: () => always, defaultChannel: 'C1' });
    await a.tick('demo');
    await a.stop();
    await first.close();
    // Someone (or something) writes junk into the file while no bot runs.
    const db = new Database(file);
    const put = db.prepare('INSERT OR REPLACE INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, NULL)');
    put.run('alert:demo:not-json', '{"phase": "firing", ', 900001);
    put.run('alert:demo:wrong-shape', JSON.stringify({ phase: 'firing', rule: 'Up' }), 900002);
    put.run('incident:junk', JSON.stringify([1, 2, 3]), 900003);
    put.run('silence:junk', JSON.stringify('forever'), 900004);
    db.close();
    const warnings: string[] = [];
    const second = new SqliteStore({ file });
    const b = new AlertService({ store: second, sink, rules: RULES, envs: ['demo'], prometheusFor: () => always, defaultChannel: 'C1', log: { info: () => undefined, warn: (m) => void warnings.push(m) } });
    let error = '';
    for (let i = 0; i < 3; i++) await b.tick('demo').catch((err: Error) => (error ||= err.message));
    const listed = await b.list('demo');
    await b.stop();
    await second.close();
    const up = listed.alerts.find((x) => x.rule === 'Up');
    const named = ['alert:demo:wrong-shape', 'incident:junk', 'silence:junk'].every((k) => warnings.filter((w) => w.includes(k)).length === 1);
    return observe(
      `${error ? `tick threw: ${error}` : '3 ticks ran'}; Up ${up?.phase}; ${sink.posts.length} card(s) in all; ${warnings.length} warning(s)${named ? ', each bad row named once' : ''}`,
      !error && up?.phase === 'firing' && sink.posts.length === 1 && named && listed.alerts.length === 1,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
