/**
 * Why the Docker Engine API could not be used, and what to do about it. Every engine failure a check can meet
 * (no socket, permission denied, engine stopped, dropped connection, timeout) is turned into one
 * `DockerUnavailableError` carrying a short reason and the fix, so the container checks can answer `unknown`
 * with both instead of a stack trace.
 */

export type DockerFailureCode =
  | 'no-socket'
  | 'permission-denied'
  | 'refused'
  | 'dropped'
  | 'timeout'
  | 'dns'
  | 'api-error'
  | 'not-found'
  | 'unknown';

/** Where the engine is expected: a unix socket or a TCP host. */
export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

export function describeEndpoint(ep: DockerEndpoint): string {
  return 'socketPath' in ep ? `unix://${ep.socketPath}` : `tcp://${ep.host}:${ep.port}`;
}

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
  constructor(
    readonly code: DockerFailureCode,
    readonly reason: string,
    readonly fix: string,
    /** HTTP status when the engine answered with an error. */
    readonly statusCode?: number,
  ) {
    super(`${reason} (fix: ${fix})`);
  }

  /** True when the engine itself could not be talked to (as opposed to an API error about one object). */
  get unreachable(): boolean {
    return this.code !== 'api-error' && this.code !== 'not-found';
  }
}

interface ErrLike {
  code?: string;
  errno?: number;
  name?: string;
  message?: string;
  statusCode?: number;
  json?: unknown;
  cause?: unknown;
}

/** Map any error thrown while talking to the engine onto a DockerUnavailableError. Idempotent. */
export function classifyDockerError(err: unknown, ep: DockerEndpoint, what = 'engine request'): DockerUnavailableError {
  if (err instanceof DockerUnavailableError) return err;
  const e = (err ?? {}) as ErrLike;
  const where = describeEndpoint(ep);
  const code = e.code ?? ((e.cause as ErrLike | undefined)?.code) ?? '';
  const tcp = !('socketPath' in ep);
  if (e.name === 'AbortError' || code === 'ABORT_ERR' || code === 'ETIMEDOUT' || /timed? ?out/i.test(e.message ?? '')) {
    return new DockerUnavailableError(
      'timeout',
      `the Docker engine at ${where} did not answer the ${what} in time`,
      'check that the engine is running and not overloaded (`docker info`), or raise docker.timeoutMs',
    );
  }
  switch (code) {
    case 'ENOENT':
      return new DockerUnavailableError(
        'no-socket',
        `no Docker engine socket at ${where}`,
        'mount the engine socket into the bot (-v /var/run/docker.sock:/var/run/docker.sock), or set docker.socketPath / docker.host',
      );
    case 'EACCES':
    case 'EPERM':
      return new DockerUnavailableError(
        'permission-denied',
        `permission denied on ${where}`,
        "add the bot's user to the docker group (or give it read/write access to the socket)",
      );
    case 'ECONNREFUSED':
      return new DockerUnavailableError(
        'refused',
        tcp ? `nothing accepts connections at ${where}` : `the Docker engine behind ${where} is not running (connection refused)`,
        tcp
          ? 'check docker.host / docker.port and that the engine listens on TCP'
          : 'start the engine (`systemctl start docker`), or set docker.host to a running one',
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DockerUnavailableError('dns', `cannot resolve the engine host of ${where}`, 'set docker.host to a resolvable address');
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'ENOTCONN':
      return new DockerUnavailableError(
        'dropped',
        `the Docker engine at ${where} dropped the connection during the ${what}`,
        'check that the engine is still running (`docker info`)',
      );
  }
  if (/socket hang up|premature close|aborted/i.test(e.message ?? '')) {
    return new DockerUnavailableError(
      'dropped',
      `the Docker engine at ${where} dropped the connection during the ${what}`,
      'check that the engine is still running (`docker info`)',
    );
  }
  if (typeof e.statusCode === 'number') {
    const msg = engineMessage(e);
    if (e.statusCode === 404) {
      return new DockerUnavailableError('not-found', `${what}: ${msg}`, 'the container may have been removed; run the check again', 404);
    }
    return new DockerUnavailableError(
      'api-error',
      `the engine refused the ${what} (HTTP ${e.statusCode}: ${msg})`,
      'see the engine logs',
      e.statusCode,
    );
  }
  return new DockerUnavailableError(
    'unknown',
    `the ${what} at ${where} failed: ${(e.message ?? String(err)).slice(0, 120)}`,
    'check the engine (`docker info`) and docker.* settings',
  );
}

function engineMessage(e: ErrLike): string {
  const j = e.json as { message?: unknown } | undefined;
  if (j && typeof j === 'object' && typeof j.message === 'string') return j.message.slice(0, 160);
  return (e.message ?? 'error').replace(/^\(HTTP code \d+\)\s*/, '').slice(0, 160);
}
