/**
 * Ends the process once stdout and stderr have taken everything written (pipes to cron's mail or CI's log
 * included): `process.exit` right after a write can cut a piped answer short.
 */
export async function exitFlushed(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  process.exit(code);
}
