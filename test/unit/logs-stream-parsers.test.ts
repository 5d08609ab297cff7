import { ChunkedDecoder, DockerDemuxer } from '../../src/targets/docker-demux';
import { LineBlocks } from '../../src/logs/lines';
import { formatSeconds, parseSince } from '../../src/logs/since';

function frame(stream: number, payload: string): Buffer {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(p.length, 4);
  return Buffer.concat([h, p]);
}

function chunked(body: Buffer, sizes: number[]): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < body.length) {
    const n = Math.min(sizes[k++ % sizes.length] as number, body.length - i);
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), body.subarray(i, i + n), Buffer.from('\r\n'));
    i += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Feed `buf` to `push` in pieces of `step` bytes. */
function feed(buf: Buffer, step: number, push: (b: Buffer) => void): void {
  for (let i = 0; i < buf.length; i += step) push(Buffer.from(buf.subarray(i, i + step)));
}

describe('DockerDemuxer', () => {
  const stream = Buffer.concat([frame(1, 'hello stdout\n'), frame(2, 'oops stderr\n'), frame(1, 'x'.repeat(300) + '\n'), frame(1, '')]);

  test.each([1, 2, 3, 7, 8, 9, 64, 10000])('reassembles frames fed %i byte(s) at a time', (step) => {
    const out: Record<number, string> = { 1: '', 2: '' };
    const d = new DockerDemuxer((s, b, a, e) => (out[s] += b.toString('utf8', a, e)));
    feed(stream, step, (b) => d.push(b));
    expect(out[1]).toBe('hello stdout\n' + 'x'.repeat(300) + '\n');
    expect(out[2]).toBe('oops stderr\n');
    expect(d.midFrame).toBe(false);
  });

  test('reports a stream cut in the middle of a frame', () => {
    const d = new DockerDemuxer(() => undefined);
    d.push(stream.subarray(0, 12));
    expect(d.midFrame).toBe(true);
  });
});

describe('ChunkedDecoder', () => {
  const body = Buffer.from('line one\nline two\n' + 'é'.repeat(100) + '\n');
  const enc = chunked(body, [5, 1, 17, 300]);

  test.each([1, 2, 5, 13, 4096])('decodes a chunked body fed %i byte(s) at a time', (step) => {
    const parts: Buffer[] = [];
    const dec = new ChunkedDecoder((b, s, e) => parts.push(Buffer.from(b.subarray(s, e))));
    feed(enc, step, (b) => dec.push(b));
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect(dec.done).toBe(true);
  });

  test('rejects a bad chunk size', () => {
    const dec = new ChunkedDecoder(() => undefined);
    expect(() => dec.push(Buffer.from('zz\r\n'))).toThrow(/chunk size/);
  });

  test('chunked + demux compose: a demuxed payload split across chunks', () => {
    const mux = Buffer.concat([frame(1, 'a'.repeat(50) + '\n'), frame(2, 'b\n')]);
    const wire = chunked(mux, [3, 11, 2]);
    let out = '';
    const d = new DockerDemuxer((_s, b, a, e) => (out += b.toString('utf8', a, e)));
    const dec = new ChunkedDecoder((b, s, e) => d.push(b, s, e));
    feed(wire, 4, (b) => dec.push(b));
    expect(out).toBe('a'.repeat(50) + '\nb\n');
  });
});

describe('LineBlocks', () => {
  test('hands over whole lines only, across tiny blocks, and the trailing partial line at the end', () => {
    const seen: string[] = [];
    const lb = new LineBlocks((b, n) => seen.push(b.toString('utf8', 0, n)), 16);
    const text = 'short\na line longer than sixteen bytes\nx\nlast-without-newline';
    feed(Buffer.from(text), 3, (b) => lb.push(b));
    lb.end();
    const joined = seen.join('');
    expect(joined).toBe(text + '\n');
    for (const s of seen) expect(s.endsWith('\n')).toBe(true);
  });

  test('cuts a line longer than maxLine instead of growing forever', () => {
    const seen: string[] = [];
    const lb = new LineBlocks((b, n) => seen.push(b.toString('latin1', 0, n)), 8, 32);
    lb.push(Buffer.from('y'.repeat(100) + '\n'));
    lb.end();
    expect(seen.length).toBeGreaterThan(1);
    for (const s of seen) expect(s.length).toBeLessThanOrEqual(32);
  });
});

describe('parseSince', () => {
  test.each([
    ['30s', 30],
    ['10m', 600],
    ['2h', 7200],
    ['1d', 86400],
    ['1h30m', 5400],
    ['90', 90],
    [' 5M ', 300],
  ])('%s → %i s', (v, s) => expect(parseSince(v)).toBe(s));

  test.each(['', 'abc', '10x', '-5m', '0s', '1.5h', '40d'])('rejects %p', (v) => expect(() => parseSince(v)).toThrow(RangeError));

  test('formatSeconds round-trips', () => {
    for (const s of [45, 600, 5400, 86400 + 60]) expect(parseSince(formatSeconds(s))).toBe(s);
  });
});
