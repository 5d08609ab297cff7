/**
 * What an output stream can show: colour and a width to wrap to only on a real terminal. A pipe or a file gets
 * plain, unwrapped lines (scripts grep them); `NO_COLOR` (https://no-color.org) and `TERM=dumb` turn styles off.
 */
export interface TerminalOut {
  isTTY?: boolean;
  columns?: number;
}

export interface TerminalStyle {
  color: boolean;
  /** Columns to wrap to; undefined = do not wrap. */
  width: number | undefined;
  /** Cursor movement and redraws (spinners) work here. */
  interactive: boolean;
}

export function terminalStyle(out: TerminalOut, env: NodeJS.ProcessEnv = process.env): TerminalStyle {
  const tty = Boolean(out.isTTY);
  const dumb = env.TERM === 'dumb';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    color: tty && !dumb && !noColor,
    width: tty && out.columns && out.columns > 0 ? out.columns : undefined,
    interactive: tty && !dumb,
  };
}
