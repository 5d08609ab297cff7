/** A one-line spinner for TTYs; silent when output is a pipe (CI logs stay clean). */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function withSpinner<T>(out: NodeJS.WritableStream & { isTTY?: boolean }, label: string, work: Promise<T>): Promise<T> {
  if (!out.isTTY) return work;
  let i = 0;
  const started = Date.now();
  const draw = (): void => {
    out.write(`\r${FRAMES[i++ % FRAMES.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)}s`);
  };
  draw();
  const timer = setInterval(draw, 80);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    out.write('\r\x1b[2K');
  }
}
