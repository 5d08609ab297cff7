/**
 * Chaos area: the HTTP receiver (Slack's Events/interactivity endpoint) under hostile bodies. Unauthenticated
 * senders must not make the bot buffer their body: oversized bodies (chunked, no Content-Length) are refused
 * while reading; malformed but correctly signed payloads get 400, never 500.
 */
import http from 'node:http';
import querystring from 'node:querystring';
import { Doctor } from '../../src/core/doctor';
import { FORM, postRaw, signedHeaders } from '../peers/slack-drivers';
import { startSlackHarness, type SlackHarness } from '../peers/slack-harness';
import { chaosRow, observe } from './row';
import { startDemoStack, type DemoStack } from './support';

let stack: DemoStack;
let doctor: Doctor;
let h: SlackHarness;

beforeAll(async () => {
  stack = await startDemoStack();
  doctor = Doctor.create(stack.config, { stateDir: null });
  h = await startSlackHarness({ transport: 'http', config: stack.config, doctor });
});

afterAll(async () => {
  await h?.stop();
  await doctor?.close();
  await stack?.stop();
});

/**
 * Streams up to `totalBytes` as a chunked POST with a bad signature; stops as soon as the server answers or
 * drops the connection. Reports how much the client managed to send before that.
 */
function floodChunked(url: string, totalBytes: number): Promise<{ status: number | undefined; sentBytes: number; ms: number }> {
  const u = new URL(url);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve) => {
    const t0 = Date.now();
    let sent = 0;
    let done = false;
    const finish = (status: number | undefined) => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ status, sentBytes: sent, ms: Date.now() - t0 });
    };
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)), 'x-slack-signature': 'v0=' + '0'.repeat(64) },
    });
    req.on('response', (res) => finish(res.statusCode));
    req.on('error', () => finish(undefined));
    const pump = () => {
      while (!done && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!done) req.end();
    };
    pump();
  });
}

chaosRow('50 MB chunked body (no Content-Length), bad signature', 'refused while reading (413), < 6 MB sent', async () => {
  const rss0 = process.memoryUsage().rss;
  const r = await floodChunked(h.botUrl ?? '', 50 * 1024 * 1024);
  const grown = Math.round((process.memoryUsage().rss - rss0) / 1e6);
  return observe(`HTTP ${r.status ?? 'dropped'} after ${(r.sentBytes / 1e6).toFixed(1)} MB sent in ${r.ms} ms; RSS +${grown} MB`, (r.status === 413 || r.status === undefined) && r.sentBytes < 6 * 1024 * 1024);
}, 60_000);

chaosRow('correctly signed interactive payload that is not JSON', 'HTTP 400, nothing runs', async () => {
  const body = querystring.stringify({ payload: '{"type": "block_actions", oops' });
  const r = await postRaw(h.botUrl ?? '', body, signedHeaders(body, FORM, { secret: h.signingSecret }));
  return observe(`HTTP ${r.status}`, r.status === 400);
});

chaosRow('correctly signed interactive payload null / [] / "x" / 7', 'HTTP 400 for each', async () => {
  const statuses: number[] = [];
  for (const payload of ['null', '[]', '"x"', '7']) {
    const body = querystring.stringify({ payload });
    statuses.push((await postRaw(h.botUrl ?? '', body, signedHeaders(body, FORM, { secret: h.signingSecret }))).status);
  }
  return observe(`HTTP ${statuses.join(', ')}`, statuses.every((s) => s === 400));
});

chaosRow('correctly signed JSON event body that is not JSON', 'HTTP 400', async () => {
  const body = '{"type": "event_callback", ';
  const r = await postRaw(h.botUrl ?? '', body, signedHeaders(body, 'application/json', { secret: h.signingSecret }));
  return observe(`HTTP ${r.status}`, r.status === 400);
});
