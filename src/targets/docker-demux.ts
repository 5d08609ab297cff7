/**
 * Streaming parsers for what the engine sends on `GET /containers/{id}/logs`:
 *
 * - `ChunkedDecoder`: HTTP/1.1 `Transfer-Encoding: chunked` bodies (the engine flushes one chunk per log line,
 *   so Node's own HTTP client would raise one event per line; decoding ourselves over large socket reads is
 *   what keeps a 100 MB scan cheap).
 * - `DockerDemuxer`: the engine's multiplexed stream, frames of an 8-byte header
 *   `[stream, 0, 0, 0, size(uint32 BE)]` followed by `size` payload bytes (non-TTY containers).
 *
 * Both are push parsers: bytes in, payload slices out, with only the few header bytes kept between pushes.
 * Nothing is ever buffered whole. Slices handed to the sink are views of the input: copy them if you keep them.
 */

export type Sink = (buf: Buffer, start: number, end: number) => void;
export type FrameSink = (stream: number, buf: Buffer, start: number, end: number) => void;

/** Decodes a chunked HTTP body. `done` turns true after the terminating zero-size chunk. */
export class ChunkedDecoder {
  /** Bytes left in the current chunk's data. */
  private left = 0;
  /** 0: reading size line, 1: reading data, 2: reading CRLF after data, 3: trailers, 4: done. */
  private state = 0;
  /** Size being parsed (hex digits read so far), and whether the size line has digits / an extension. */
  private size = 0;
  private digits = 0;
  private inExt = false;
  private crlfLeft = 0;
  private trailerLen = 0;

  constructor(private readonly sink: Sink) {}

  get done(): boolean {
    return this.state === 4;
  }

  push(buf: Buffer, start = 0, end = buf.length): void {
    let i = start;
    while (i < end) {
      switch (this.state) {
        case 0: {
          // Size line: hex digits, optional `;extension`, CRLF. Parsed from the bytes, no string.
          while (i < end) {
            const c = buf[i++] as number;
            if (c === 10) {
              if (this.digits === 0) throw new Error('chunked encoding: bad chunk size (empty)');
              const size = this.size;
              this.size = 0;
              this.digits = 0;
              this.inExt = false;
              if (size === 0) {
                this.state = 3;
                this.trailerLen = 0;
              } else {
                this.left = size;
                this.state = 1;
              }
              break;
            }
            if (this.inExt || c === 13 || c === 32 || c === 9) continue;
            if (c === 59) {
              this.inExt = true;
              continue;
            }
            const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
            if (v < 0 || this.digits >= 12) throw new Error(`chunked encoding: bad chunk size (byte ${c})`);
            this.size = this.size * 16 + v;
            this.digits++;
          }
          break;
        }
        case 1: {
          const n = Math.min(this.left, end - i);
          this.sink(buf, i, i + n);
          i += n;
          this.left -= n;
          if (this.left === 0) {
            this.state = 2;
            this.crlfLeft = 2;
          }
          break;
        }
        case 2: {
          // CRLF after the data (be lenient with a bare LF).
          const c = buf[i];
          if (c === 13 || c === 10) {
            i++;
            this.crlfLeft--;
            if (c === 10) this.crlfLeft = 0;
          } else {
            this.crlfLeft = 0;
          }
          if (this.crlfLeft <= 0) this.state = 0;
          break;
        }
        case 3: {
          // Trailers until an empty line.
          const c = buf[i++] as number;
          if (c === 10) {
            if (this.trailerLen === 0) this.state = 4;
            this.trailerLen = 0;
          } else if (c !== 13) {
            this.trailerLen++;
          }
          break;
        }
        default:
          return;
      }
    }
  }
}

/** Splits the engine's multiplexed log stream into per-frame payload slices (stream 1 = stdout, 2 = stderr). */
export class DockerDemuxer {
  private readonly header = Buffer.alloc(8);
  private headerHave = 0;
  private payloadLeft = 0;
  private stream = 0;

  constructor(private readonly sink: FrameSink) {}

  push(buf: Buffer, start = 0, end = buf.length): void {
    let i = start;
    while (i < end) {
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, end - i);
        this.sink(this.stream, buf, i, i + n);
        i += n;
        this.payloadLeft -= n;
        continue;
      }
      // Fast path: a whole header in this buffer.
      if (this.headerHave === 0 && end - i >= 8) {
        this.stream = buf[i] as number;
        this.payloadLeft = buf.readUInt32BE(i + 4);
        i += 8;
        continue;
      }
      const n = Math.min(8 - this.headerHave, end - i);
      buf.copy(this.header, this.headerHave, i, i + n);
      this.headerHave += n;
      i += n;
      if (this.headerHave === 8) {
        this.stream = this.header[0] as number;
        this.payloadLeft = this.header.readUInt32BE(4);
        this.headerHave = 0;
      }
    }
  }

  /** True when the stream stopped in the middle of a frame. */
  get midFrame(): boolean {
    return this.payloadLeft > 0 || this.headerHave > 0;
  }
}
