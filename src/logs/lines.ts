/**
 * Turns a byte stream into blocks of whole lines without allocating per line: bytes are copied into one
 * reusable block buffer, and each time it fills, the part up to the last newline is handed over at once. A line
 * longer than `maxLine` is cut (the engine itself splits lines above 16 KB into several frames).
 */

export type BlockSink = (block: Buffer, end: number) => void;

export class LineBlocks {
  private block: Buffer;
  private used = 0;

  constructor(
    private readonly sink: BlockSink,
    // 64 KB: a block's latin1 string then stays a regular heap object; at 128 KB and above V8 puts each one
    // in large-object space and the scan gets ~50x slower.
    blockSize = 64 * 1024,
    private readonly maxLine = 1024 * 1024,
  ) {
    this.block = Buffer.allocUnsafe(blockSize);
  }

  push(buf: Buffer, start = 0, end = buf.length): void {
    let i = start;
    while (i < end) {
      const room = this.block.length - this.used;
      const n = Math.min(room, end - i);
      buf.copy(this.block, this.used, i, i + n);
      this.used += n;
      i += n;
      if (this.used === this.block.length) this.flushWhole(false);
    }
  }

  /** Hand over every complete line; with `final`, the trailing partial line too. */
  end(): void {
    this.flushWhole(true);
  }

  private flushWhole(final: boolean): void {
    if (this.used === 0) return;
    if (final) {
      const b = this.block;
      const n = this.used;
      this.used = 0;
      // Make sure the last line ends with a newline so the sink sees it as a line.
      if (b[n - 1] !== 10) {
        if (n < b.length) {
          b[n] = 10;
          this.sink(b, n + 1);
        } else {
          const grown = Buffer.allocUnsafe(n + 1);
          b.copy(grown, 0, 0, n);
          grown[n] = 10;
          this.sink(grown, n + 1);
        }
      } else {
        this.sink(b, n);
      }
      return;
    }
    const lastNl = this.block.lastIndexOf(10, this.used - 1);
    if (lastNl === -1) {
      // One line fills the whole block.
      if (this.block.length >= this.maxLine) {
        // Cut it: treat the block as one line.
        const b = this.block;
        const n = this.used;
        this.used = 0;
        b[n - 1] = 10;
        this.sink(b, n);
        return;
      }
      const grown = Buffer.allocUnsafe(Math.min(this.block.length * 2, this.maxLine));
      this.block.copy(grown, 0, 0, this.used);
      this.block = grown;
      return;
    }
    this.sink(this.block, lastNl + 1);
    const rest = this.used - (lastNl + 1);
    if (rest > 0) this.block.copy(this.block, 0, lastNl + 1, this.used);
    this.used = rest;
  }
}
