/**
 * Another client of the same Redis, in its own process (so the flush's event loop cannot colour its
 * numbers): one GET at a time, back to back with a 1 ms pause, each timed. Prints a JSON summary when told
 * to stop (a line on stdin or SIGTERM). Usage: node bench/redis-latency-probe.js <port> <db>
 */
const Redis = require('ioredis');

const [port, db] = process.argv.slice(2).map(Number);
const client = new Redis({ host: '127.0.0.1', port, db, enableAutoPipelining: false });
const samples = [];
let running = true;
let marks = [];

async function loop() {
  while (running) {
    const t0 = process.hrtime.bigint();
    await client.get('allthrive:1:_ws_token_health_check');
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
}

// A line "mark" on stdin starts a new window; "stop" prints one summary per window and exits.
process.stdin.setEncoding('utf8');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line === 'mark') marks.push(samples.length);
    if (line === 'stop') stop();
  }
});
process.on('SIGTERM', stop);

function stop() {
  running = false;
  const bounds = [...marks, samples.length];
  const windows = [];
  for (let w = 0; w + 1 < bounds.length; w++) {
    const xs = samples.slice(bounds[w], bounds[w + 1]);
    windows.push({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100) });
  }
  process.stdout.write(JSON.stringify({ windows }) + '\n');
  client.disconnect();
  setTimeout(() => process.exit(0), 50);
}

client.on('ready', () => {
  process.stdout.write('ready\n');
  void loop();
});
