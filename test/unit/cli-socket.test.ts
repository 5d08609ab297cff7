/**
 * The CLI-socket pieces on real Unix sockets, with a scripted core in place of the Doctor: which command lines
 * may be delegated, the bot side's bounds (a silent client, an oversized request, a wrong version), and the CLI
 * side against hostile or broken peers (never answers, answers garbage, a huge line, a folder others may enter,
 * a stale socket) — in every case the CLI's answer is "undefined": it runs the command itself.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { delegableStatus } from '../../src/cli-socket/argv';
import { askRunningBot, ACCEPT_MS } from '../../src/cli-socket/client';
import { configFingerprint, locateSocket, privateDir } from '../../src/cli-socket/fingerprint';
import { LineReader } from '../../src/cli-socket/protocol';
import { StatusSocketServer } from '../../src/cli-socket/server';
import type { Finding } from '../../src/checks/types';
import { diagnose } from '../../src/diagnosis/diagnose';
import type { StatusReport } from '../../src/diagnosis/types';

const uid = process.getuid?.() as number;
let tmp: string;
let configFile: string;
const environ = (): NodeJS.ProcessEnv => ({ WS_DOCTOR_CONFIG: configFile, WS_DOCTOR_SERVICE_PASSWORD: 'unit-pw' });
const tty = { out: { isTTY: false }, term: { NO_COLOR: '1' } };

function report(overall: 'ok' | 'down'): StatusReport {
  const findings: Finding[] = [
    { check: 'redis', status: overall === 'ok' ? 'ok' : 'fail', summary: overall === 'ok' ? 'PONG in 1 ms' : 'connection refused', evidence: {}, durationMs: 1, ref: 'test' },
  ];
  return { env: 'local', startedAt: new Date().toISOString(), durationMs: 3, findings, verdict: diagnose(findings), timedOut: [] };
}

const doctor = { defaultEnv: 'local', overall: 'ok' as 'ok' | 'down', delayMs: 0, envNames: () => ['local'], async status() {
  await new Promise((r) => setTimeout(r, doctor.delayMs));
  return report(doctor.overall);
} };
const quiet = { info: () => undefined, warn: () => undefined };

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsd-sock-'));
  configFile = path.join(tmp, 'ws-doctor.yml');
  fs.writeFileSync(configFile, `defaultEnv: local # ${tmp}\n`);
  Object.assign(doctor, { overall: 'ok', delayMs: 0 });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A server of our own making on the path the CLI will try (what a broken or hostile peer would do there). */
async function fakePeer(onConn: (s: net.Socket) => void): Promise<{ close(): Promise<void> }> {
  const place = locateSocket(undefined, environ(), { create: true });
  if (!place.ok) throw new Error(place.why);
  const file = place.file;
  fs.rmSync(file, { force: true });
  const conns = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    conns.add(s);
    s.on('error', () => undefined);
    s.resume(); // read (and drop) what the CLI sends, so its hang-up is seen
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(file, () => r()));
  return {
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.destroy();
        srv.close(() => r());
      }),
  };
}

describe('which command lines a running bot may answer', () => {
  test.each([
    [['status'], { json: false }],
    [['status', '--json'], { json: true }],
    [['-c', 'a.yml', 'status', '-e', 'staging'], { configPath: 'a.yml', env: 'staging', json: false }],
    [['--config=a.yml', 'status', '--env=prod', '--json'], { configPath: 'a.yml', env: 'prod', json: true }],
  ])('%j → %j', (args, want) => expect(delegableStatus(args)).toEqual(want));

  test.each([[[]], [['status', '--standalone']], [['status', '--help']], [['check', 'redis']], [['status', 'extra']], [['--json', 'status']], [['status', '--env']], [['status', '--env', '--json']], [['status', '-e', 'a', '-e', 'b']], [['--metrics-port', '1', 'status']], [['status', '--config=']]])(
    '%j is commander\'s',
    (args) => expect(delegableStatus(args)).toBeUndefined(),
  );
});

describe('the fingerprint', () => {
  test('the same file by --config or $WS_DOCTOR_CONFIG, the same secrets: equal; an edit, another secret or another key: different', () => {
    const KEY = Buffer.alloc(32, 7);
    const fp = (p: string | undefined, e: NodeJS.ProcessEnv): string | undefined => configFingerprint(p, e, KEY);
    const a = fp(undefined, environ());
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(fp(configFile, { WS_DOCTOR_SERVICE_PASSWORD: 'unit-pw' })).toBe(a);
    expect(fp(undefined, { ...environ(), SLACK_BOT_TOKEN: 'xoxb-1', LOG_LEVEL: 'debug' })).toBe(a); // not the checks' inputs
    expect(fp(undefined, { ...environ(), WS_DOCTOR_SERVICE_PASSWORD: 'other' })).not.toBe(a);
    expect(fp(undefined, { ...environ(), WS_DOCTOR_STAGING_REDIS_PASSWORD: 'x' })).not.toBe(a);
    // The name is public (/proc/net/unix lists it): without the folder's key it says nothing about the password.
    expect(configFingerprint(undefined, environ(), Buffer.alloc(32, 8))).not.toBe(a);
    fs.appendFileSync(configFile, '# edited\n');
    expect(fp(undefined, environ())).not.toBe(a);
    expect(fp(path.join(tmp, 'missing.yml'), {})).toBeUndefined();
  });

  test('the folder\'s key: made once by the bot (0600), read by the CLI; missing or readable by others, no socket is used', () => {
    const base = path.join(tmp, 'base');
    fs.mkdirSync(base);
    expect(locateSocket(undefined, environ(), { base })).toMatchObject({ ok: false }); // no bot has run here
    const made = locateSocket(undefined, environ(), { base, create: true });
    if (!made.ok) throw new Error(made.why);
    const keyFile = path.join(made.dir, 'key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(locateSocket(undefined, environ(), { base, create: true })).toEqual(made); // the same key again
    expect(locateSocket(undefined, environ(), { base })).toEqual(made);
    fs.chmodSync(keyFile, 0o644);
    expect(locateSocket(undefined, environ(), { base })).toMatchObject({ ok: false, why: expect.stringMatching(/key is missing or not private/) });
    fs.rmSync(keyFile);
    fs.symlinkSync('/etc/hostname', keyFile);
    expect(locateSocket(undefined, environ(), { base })).toMatchObject({ ok: false });
  });

  test('a folder another user could enter or replace is never used', () => {
    const open = path.join(tmp, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);
    expect(privateDir(open, uid)).toBe(false);
    fs.chmodSync(open, 0o700);
    expect(privateDir(open, uid)).toBe(true);
    expect(privateDir(open, uid + 1)).toBe(false);
    fs.symlinkSync(open, path.join(tmp, 'link'));
    expect(privateDir(path.join(tmp, 'link'), uid)).toBe(false);
  });
});

describe('bot and CLI on a real socket', () => {
  test('answered: the text rendered for the asking terminal and the verdict\'s exit code; a down stack exits 2', async () => {
    const server = new StatusSocketServer({ doctor, configPath: undefined, deadlineMs: () => 1000, log: quiet, environ: environ() });
    expect(await server.start()).toMatch(/\.sock$/);
    try {
      expect(await askRunningBot({ json: false, ...tty, environ: environ() })).toEqual({ exit: 0, out: expect.stringMatching(/^✅ Healthy/) });
      doctor.overall = 'down';
      const down = await askRunningBot({ json: true, ...tty, environ: environ() });
      expect(down?.exit).toBe(2);
      expect(JSON.parse(down?.out ?? '{}')).toMatchObject({ verdict: { overall: 'down' } });
      // Another secret: another socket name, nobody there.
      expect(await askRunningBot({ json: false, ...tty, environ: { ...environ(), WS_DOCTOR_SERVICE_PASSWORD: 'x' } })).toBeUndefined();
    } finally {
      await server.stop();
    }
    expect(await askRunningBot({ json: false, ...tty, environ: environ() })).toBeUndefined();
  });

  test('a second bot with the same config leaves the socket to the first; dead sockets (this config\'s and others\') are swept at start, live ones kept', async () => {
    const first = new StatusSocketServer({ doctor, configPath: undefined, deadlineMs: () => 1000, log: quiet, environ: environ() });
    const second = new StatusSocketServer({ doctor, configPath: undefined, deadlineMs: () => 1000, log: quiet, environ: environ() });
    const file = await first.start();
    expect(await second.start()).toBeUndefined();
    await second.stop();
    expect(fs.existsSync(file as string)).toBe(true);
    await first.stop();
    // What SIGKILLed bots leave: socket files nobody listens on (a real process listening there, killed) — this
    // config's and another's; and a live listener of a third config, which must be kept.
    const other = path.join(path.dirname(file as string), 'dead-other-config.sock');
    const killed = async (at: string): Promise<void> => {
      const p = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(at)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((r) => p.stdout.once('data', r));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    };
    await killed(file as string);
    await killed(other);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(other, old, old); // a bot killed a minute ago (a younger one may be a bot still starting)
    const liveFile = path.join(path.dirname(file as string), 'live-other-config.sock');
    const live = net.createServer();
    await new Promise<void>((r) => live.listen(liveFile, () => r()));
    expect(fs.statSync(file as string).isSocket()).toBe(true);
    expect(await askRunningBot({ json: false, ...tty, environ: environ() })).toBeUndefined(); // ECONNREFUSED
    const third = new StatusSocketServer({ doctor, configPath: undefined, deadlineMs: () => 1000, log: quiet, environ: environ() });
    expect(await third.start()).toBe(file);
    expect(fs.existsSync(other)).toBe(false); // swept
    expect(fs.statSync(liveFile).isSocket()).toBe(true); // kept
    await new Promise<void>((r) => live.close(() => r()));
    expect(await askRunningBot({ json: false, ...tty, environ: environ() })).toMatchObject({ exit: 0 });
    await third.stop();
  });

  test('the bot\'s bounds: a silent client is dropped, an oversized request refused, another version declined, runs beyond the limit declined', async () => {
    const server = new StatusSocketServer({ doctor, configPath: undefined, deadlineMs: () => 1000, log: quiet, environ: environ() });
    const file = (await server.start()) as string;
    const talk = (send: string | Buffer, waitMs = 3000): Promise<{ text: string; closed: boolean }> =>
      new Promise((resolve) => {
        const s = net.connect(file);
        let text = '';
        const t = setTimeout(() => (s.destroy(), resolve({ text, closed: false })), waitMs);
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.on('close', () => (clearTimeout(t), resolve({ text, closed: true })));
        s.on('error', () => undefined);
        s.on('connect', () => s.write(send));
      });
    try {
      expect(await talk('')).toEqual({ text: '', closed: true }); // dropped after 2 s without a request
      expect(await talk(Buffer.alloc(10000, 'x'))).toEqual({ text: '', closed: true });
      expect((await talk('{"v":99,"cmd":"status","json":false}\n')).text).toMatch(/"declined"/);
      expect((await talk('{"v":1,"cmd":"logs","json":false}\n')).text).toMatch(/"declined"/);
      doctor.delayMs = 500;
      const ask = `${JSON.stringify({ v: 1, cmd: 'status', json: false, out: {}, term: {} })}\n`;
      const many = await Promise.all(Array.from({ length: 10 }, () => talk(ask)));
      expect(many.filter((m) => /"exit":0/.test(m.text))).toHaveLength(8);
      expect(many.filter((m) => /"declined":"busy"/.test(m.text))).toHaveLength(2);
    } finally {
      await server.stop();
    }
  });

  test.each([
    ['never answers', (_s: net.Socket) => undefined],
    ['answers garbage', (s: net.Socket) => s.end('<!channel> not json\n')],
    ['answers a made-up exit code', (s: net.Socket) => s.end('{"v":1,"exit":7,"out":"fine"}\n')],
    ['accepts, then goes quiet past its deadline', (s: net.Socket) => s.write('{"v":1,"accepted":true,"deadlineMs":200}\n')],
    ['accepts, then hangs up', (s: net.Socket) => (s.write('{"v":1,"accepted":true,"deadlineMs":5000}\n'), setTimeout(() => s.destroy(), 50))],
    ['sends a line of 5 MB', (s: net.Socket) => s.write(Buffer.alloc(5 * 1024 * 1024, 'a'))],
  ])('a peer that %s: the CLI runs the command itself, promptly', async (_what, behave) => {
    const peer = await fakePeer(behave);
    try {
      const t0 = Date.now();
      expect(await askRunningBot({ json: false, ...tty, environ: environ() })).toBeUndefined();
      expect(Date.now() - t0).toBeLessThan(ACCEPT_MS + 3000 + 1000);
    } finally {
      await peer.close();
    }
  });
});

test('LineReader: lines across chunks, several in one, and a bound on each', () => {
  const r = new LineReader(10);
  expect(r.push(Buffer.from('ab'))).toEqual([]);
  expect(r.push(Buffer.from('c\nde\nf'))).toEqual(['abc', 'de']);
  expect(r.push(Buffer.from('\n'))).toEqual(['f']);
  expect(() => r.push(Buffer.from('x'.repeat(11)))).toThrow(/longer than 10 bytes/);
  expect(() => new LineReader(10).push(Buffer.from(`${'y'.repeat(11)}\n`))).toThrow(/longer than 10 bytes/);
});
