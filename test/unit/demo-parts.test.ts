/** Pure parts of the demo backend: pickle bytes, JWTs, the origin rule, log line shapes, fault switches. */
import { dumps, loads, PyFloat, djangoSerialize, djangoDeserialize } from '../../src/demo/pickle';
import { JwtSigner } from '../../src/demo/jwt';
import { allowedOriginHosts, isOriginAllowed, DEFAULT_CORS_ALLOWED_ORIGINS } from '../../src/demo/origin';
import { DemoLogBuffer, daphneAccessLine, djangoLine, pyIsoNow, uvicornLine } from '../../src/demo/logs';
import { createFaultSwitches, FAULT_NAMES } from '../../src/demo/faults';

describe('pickle (protocol 5), byte-identical to CPython 3.12', () => {
  // Expected bytes produced by `pickle.dumps(value, 5)` in CPython.
  test.each([
    [
      'token payload',
      { user_id: 42, username: 'ws-doctor', connection_id: 'abc', created_at: new PyFloat(1764151200.5), used: false },
      '8005955c000000000000007d94288c07757365725f6964944b2a8c08757365726e616d65948c0977732d646f63746f72948c0d636f6e6e656374696f6e5f6964948c03616263948c0a637265617465645f6174944741da49b3e82000008c04757365649489752e',
    ],
    ['one-float list (DRF throttle history)', [new PyFloat(1.5)], '8005950d000000000000005d94473ff8000000000000612e'],
    ['short str', 'ok', '80059506000000000000008c026f6b942e'],
    ['big negative int (LONG1)', -(2 ** 40), '80059509000000000000008a060000000000ff2e'],
    ['empty dict (no frame)', {}, '80057d942e'],
  ])('%s', (_n, value, hex) => {
    expect(dumps(value).toString('hex')).toBe(hex);
  });

  test('round trip and Django serializer (ints raw)', () => {
    const v = { a: [1, 2.5, 'x', null, true], b: { c: 70000, d: -5, e: 'é'.repeat(300) } };
    expect(loads(dumps(v))).toEqual(v);
    expect(djangoSerialize(5)).toBe('5');
    expect(djangoDeserialize(Buffer.from('5'))).toBe(5);
    expect(djangoDeserialize(dumps([1, 2]))).toEqual([1, 2]);
  });
});

describe('JWT', () => {
  const s = new JwtSigner(Buffer.from('k'.repeat(32)));
  test('sign/verify, expiry, type and tampering', () => {
    const t = s.sign(42, 'access', 3);
    expect(s.verify(t, 'access')).toMatchObject({ user_id: 42, session_version: 3, token_type: 'access' });
    expect(s.verify(t, 'refresh')).toBeNull();
    expect(s.verify(t, 'access', Date.now() + 901_000)).toBeNull();
    const [h, p, sig] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), user_id: 1 })).toString('base64url');
    expect(s.verify(`${h}.${forged}.${sig}`, 'access')).toBeNull();
    expect(new JwtSigner().verify(t, 'access')).toBeNull();
  });
});

describe('chat origin rule (§3.1)', () => {
  const allowed = allowedOriginHosts(DEFAULT_CORS_ALLOWED_ORIGINS);
  test.each([
    [undefined, true],
    ['http://localhost:3000', true],
    ['http://127.0.0.1:3000', true],
    ['https://allthrive.ai', true],
    ['https://app.allthrive.ai', true],
    ['http://localhost:8000', false],
    ['https://evil.example', false],
    ['null', false],
  ])('%s → %s', (origin, ok) => {
    expect(isOriginAllowed(origin, allowed)).toBe(ok);
  });
});

describe('log lines', () => {
  const d = new Date(Date.UTC(2026, 10, 26, 9, 5, 7, 42));
  test('formats', () => {
    expect(djangoLine('INFO', 'hello', d)).toBe('INFO 2026-11-26 09:05:07,042 hello');
    expect(uvicornLine('INFO', 'Application startup complete.')).toBe('INFO:     Application startup complete.');
    expect(uvicornLine('ERROR', 'x')).toBe('ERROR:    x');
    expect(daphneAccessLine('127.0.0.1:5555', 'WSCONNECTING /ws/chat/x/', '-', '-', d)).toBe(
      '127.0.0.1:5555 - - [26/Nov/2026:09:05:07] "WSCONNECTING /ws/chat/x/" - -',
    );
    expect(pyIsoNow(d)).toBe('2026-11-26T09:05:07.042000Z');
  });

  test('ring buffer: bounded, since, grep, sink', () => {
    const seen: string[] = [];
    const b = new DemoLogBuffer(3, (l) => seen.push(l));
    b.push('a', 'stderr', 1);
    b.push('b', 'stderr', 2);
    b.push('c', 'stdout', 3);
    b.push('d', 'stderr', 4);
    expect(b.lines()).toEqual(['b', 'c', 'd']);
    expect(b.lines(3)).toEqual(['c', 'd']);
    expect(b.grep(/[bd]/g)).toEqual(['b', 'd']);
    expect(b.grep(/[bd]/g)).toEqual(['b', 'd']); // a global regex is not stateful here
    expect(b.grep('c')).toEqual(['c']);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('fault switches', () => {
  test('set/isOn/active/list/clear and side effects awaited by settled()', async () => {
    const calls: string[] = [];
    const f = createFaultSwitches(async (n, on) => {
      await new Promise((r) => setTimeout(r, 5));
      calls.push(`${n}:${on}`);
    });
    f.set('leaked-counter', true);
    f.set('db-down', true);
    f.set('db-down', true); // no change, no hook
    expect(f.active()).toEqual(['db-down', 'leaked-counter']);
    expect(f.list().filter((x) => x.on).map((x) => x.name)).toEqual(['db-down', 'leaked-counter']);
    f.clear();
    await f.settled();
    expect(f.active()).toEqual([]);
    expect(calls).toEqual(['leaked-counter:true', 'db-down:true', 'leaked-counter:false', 'db-down:false']);
    expect(FAULT_NAMES.every((n) => f.list().some((x) => x.name === n && x.description.length > 20))).toBe(true);
  });
});
