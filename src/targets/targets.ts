/**
 * The thin clients of what is watched, built once per environment and shared by every check and run, so a
 * status run reuses connections and the login cookie instead of paying for them each time.
 *
 * Each member is owned by its own file in this folder; this file only gathers them.
 */
import type Redis from 'ioredis';
import type { EnvConfig } from '../config/schema';
import type { DockerTarget } from './docker';
import type { HttpTarget } from './http';
import type { PrometheusTarget } from './prometheus';
import type { ProbeSession } from './session';

export interface Targets {
  readonly envName: string;
  readonly env: EnvConfig;
  /** One ioredis client per logical DB, created lazily, never retrying forever (a check must not hang). */
  redis(db: number): Redis;
  /** HTTP client of the backend (`backend.url`): redirects off, bounded, failures as values. */
  readonly http: HttpTarget;
  /** Base URL of WebSocket probes (`backend.wsUrl`, or `backend.url` with http→ws). */
  readonly wsUrl: string;
  /** The probe user's login cookie and login limiter; survives across runs. */
  readonly session: ProbeSession;
  /** Prometheus HTTP API (`prometheus.url`). */
  readonly prometheus: PrometheusTarget;
  /** Docker Engine API client (`docker.*`), created on first use; undefined when `docker.enabled` is false. */
  docker(): DockerTarget | undefined;
  /** Close every client this environment opened. */
  close(): Promise<void>;
}
