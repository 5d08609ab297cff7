/**
 * One streaming scan of a container's log window through the engine: the engine's stream is demultiplexed
 * and fed to a LogScanner as it arrives, so memory stays flat whatever the log size.
 */
import type { ContainerView, DockerTarget } from '../targets/docker';
import { LogScanner, type ScanResult, type ScannerOptions } from './scanner';

export interface ScanOptions extends ScannerOptions {
  /** Window start, seconds before now (omit for the whole log). */
  sinceSeconds?: number;
  /** Absolute window start (unix seconds); wins over sinceSeconds. */
  sinceUnix?: number;
  /** Ask the engine for the last N lines only. */
  tail?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Stop reading early once this turns true (checked after each socket read). */
  stopWhen?: () => boolean;
  batchMs?: number;
}

export interface ContainerScan extends ScanResult {
  container: string;
  /** The engine returned exactly `tail` lines: the window may reach further back than what was read. */
  truncated: boolean;
  /** Stopped by stopWhen before the end of the log. */
  stoppedEarly: boolean;
  reads: number;
  ms: number;
}

export async function scanContainerLogs(
  target: DockerTarget,
  container: Pick<ContainerView, 'id' | 'name' | 'tty'>,
  opts: ScanOptions = {},
): Promise<ContainerScan> {
  const t0 = Date.now();
  const scanner = new LogScanner(opts);
  const since = opts.sinceUnix ?? (opts.sinceSeconds !== undefined ? Date.now() / 1000 - opts.sinceSeconds : undefined);
  const stats = await target.streamLogs(
    container,
    {
      ...(since !== undefined ? { since } : {}),
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.stopWhen ? { stopWhen: opts.stopWhen } : {}),
      ...(opts.batchMs !== undefined ? { batchMs: opts.batchMs } : {}),
    },
    (stream, buf, s, e) => scanner.write(stream, buf, s, e),
  );
  const res = scanner.end();
  return {
    ...res,
    container: container.name,
    truncated: opts.tail !== undefined && res.lines >= opts.tail,
    stoppedEarly: !stats.complete,
    reads: stats.reads,
    ms: Date.now() - t0,
  };
}
