/**
 * A tiny Python-pickle (protocol 5) codec for the values the demo backend stores in Redis the way Django's
 * `RedisCache` does: plain ints are stored raw (`b"42"`), everything else is `pickle.dumps(value, 5)`
 * (target-system §2.2). Only what the demo writes is supported: None, bool, int, float, str, list, dict.
 *
 * The output is byte-for-byte what CPython produces for these values (framing, MEMOIZE after every str/list/
 * dict, SETITEM vs SETITEMS batching), so a key written by the demo looks like a key written by Django.
 */

export type PickleValue = null | boolean | number | string | PickleValue[] | { [key: string]: PickleValue };

/** A float that must be pickled as a float even when it is integral (e.g. `created_at`). */
export class PyFloat {
  constructor(readonly value: number) {}
}

type Encodable = PickleValue | PyFloat | Encodable[] | { [key: string]: Encodable };

const OP = {
  PROTO: 0x80,
  FRAME: 0x95,
  STOP: 0x2e, // .
  NONE: 0x4e, // N
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  BININT: 0x4a, // J
  LONG1: 0x8a,
  BINFLOAT: 0x47, // G
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE: 0x58, // X
  EMPTY_LIST: 0x5d, // ]
  EMPTY_DICT: 0x7d, // }
  MARK: 0x28, // (
  APPEND: 0x61, // a
  APPENDS: 0x65, // e
  SETITEM: 0x73, // s
  SETITEMS: 0x75, // u
  MEMOIZE: 0x94,
} as const;

const FRAME_SIZE_MIN = 4;
const BATCH = 1000;

/** `pickle.dumps(value, protocol=5)`. */
export function dumps(value: Encodable): Buffer {
  const body: number[] = [];
  const push = (...bytes: number[]) => {
    for (const b of bytes) body.push(b);
  };
  const pushBuf = (b: Buffer) => {
    for (const x of b) body.push(x);
  };

  const save = (v: Encodable): void => {
    if (v === null) return push(OP.NONE);
    if (v === true) return push(OP.NEWTRUE);
    if (v === false) return push(OP.NEWFALSE);
    if (v instanceof PyFloat) return saveFloat(v.value);
    if (typeof v === 'number') return Number.isInteger(v) ? saveInt(v) : saveFloat(v);
    if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      if (b.length < 256) push(OP.SHORT_BINUNICODE, b.length);
      else {
        const len = Buffer.alloc(4);
        len.writeUInt32LE(b.length);
        push(OP.BINUNICODE);
        pushBuf(len);
      }
      pushBuf(b);
      return push(OP.MEMOIZE);
    }
    if (Array.isArray(v)) {
      push(OP.EMPTY_LIST, OP.MEMOIZE);
      for (let i = 0; i < v.length; i += BATCH) {
        const chunk = v.slice(i, i + BATCH);
        if (chunk.length > 1) {
          push(OP.MARK);
          chunk.forEach(save);
          push(OP.APPENDS);
        } else {
          save(chunk[0] as Encodable);
          push(OP.APPEND);
        }
      }
      return;
    }
    push(OP.EMPTY_DICT, OP.MEMOIZE);
    const items = Object.entries(v);
    for (let i = 0; i < items.length; i += BATCH) {
      const chunk = items.slice(i, i + BATCH);
      if (chunk.length > 1) {
        push(OP.MARK);
        for (const [k, x] of chunk) (save(k), save(x));
        push(OP.SETITEMS);
      } else {
        const [k, x] = chunk[0] as [string, Encodable];
        save(k);
        save(x);
        push(OP.SETITEM);
      }
    }
  };

  const saveInt = (n: number) => {
    if (n >= 0 && n < 0x100) return push(OP.BININT1, n);
    if (n >= 0 && n < 0x10000) return push(OP.BININT2, n & 0xff, n >> 8);
    if (n >= -0x80000000 && n <= 0x7fffffff) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      push(OP.BININT);
      return pushBuf(b);
    }
    // LONG1: little-endian two's complement, minimal length.
    let big = BigInt(n);
    const out: number[] = [];
    for (;;) {
      out.push(Number(big & 0xffn));
      big >>= 8n;
      const last = out[out.length - 1] as number;
      if ((big === 0n && (last & 0x80) === 0) || (big === -1n && (last & 0x80) !== 0)) break;
    }
    push(OP.LONG1, out.length, ...out);
  };

  const saveFloat = (f: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(f);
    push(OP.BINFLOAT);
    pushBuf(b);
  };

  save(value);
  push(OP.STOP);
  const frame = Buffer.from(body);
  const head = [OP.PROTO, 5];
  if (frame.length < FRAME_SIZE_MIN) return Buffer.concat([Buffer.from(head), frame]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(frame.length));
  return Buffer.concat([Buffer.from([...head, OP.FRAME]), len, frame]);
}

/** `pickle.loads` for the subset `dumps` writes. Throws on anything else. */
export function loads(buf: Buffer): PickleValue {
  let i = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo: unknown[] = [];
  const MARK = Symbol('mark');
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) throw new Error('pickle: MARK missing');
    const items = stack.splice(at);
    items.shift(); // the mark itself
    return items;
  };
  const top = () => stack[stack.length - 1];
  while (i < buf.length) {
    const op = buf[i++] as number;
    switch (op) {
      case OP.PROTO:
        i += 1;
        break;
      case OP.FRAME:
        i += 8;
        break;
      case OP.STOP:
        return stack.pop() as PickleValue;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT1:
        stack.push(buf[i++]);
        break;
      case OP.BININT2:
        stack.push(buf.readUInt16LE(i));
        i += 2;
        break;
      case OP.BININT:
        stack.push(buf.readInt32LE(i));
        i += 4;
        break;
      case OP.LONG1: {
        const n = buf[i++] as number;
        let v = 0n;
        for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[i + k] as number);
        if (n > 0 && ((buf[i + n - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        i += n;
        break;
      }
      case OP.BINFLOAT:
        stack.push(buf.readDoubleBE(i));
        i += 8;
        break;
      case OP.SHORT_BINUNICODE: {
        const n = buf[i++] as number;
        stack.push(buf.toString('utf8', i, i + n));
        i += n;
        break;
      }
      case OP.BINUNICODE: {
        const n = buf.readUInt32LE(i);
        i += 4;
        stack.push(buf.toString('utf8', i, i + n));
        i += n;
        break;
      }
      case OP.EMPTY_LIST:
        stack.push([]);
        break;
      case OP.EMPTY_DICT:
        stack.push({});
        break;
      case OP.MEMOIZE:
        memo.push(top());
        break;
      case OP.MARK:
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case OP.APPEND: {
        const v = stack.pop();
        (top() as unknown[]).push(v);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        (top() as unknown[]).push(...items);
        break;
      }
      case OP.SETITEM: {
        const v = stack.pop();
        const k = stack.pop() as string;
        (top() as Record<string, unknown>)[k] = v;
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        const d = top() as Record<string, unknown>;
        for (let k = 0; k + 1 < items.length; k += 2) d[items[k] as string] = items[k + 1];
        break;
      }
      default:
        throw new Error(`pickle: unsupported opcode 0x${op.toString(16)} at ${i - 1}`);
    }
  }
  throw new Error('pickle: no STOP');
}

/** Django's RedisSerializer: ints raw, everything else pickled. */
export function djangoSerialize(value: Encodable): Buffer | string {
  return typeof value === 'number' && Number.isInteger(value) ? String(value) : dumps(value);
}

/** Inverse of `djangoSerialize` for a value read back from Redis. */
export function djangoDeserialize(raw: Buffer): PickleValue {
  const s = raw.toString('latin1');
  if (/^-?\d+$/.test(s)) return Number(s);
  return loads(raw);
}
