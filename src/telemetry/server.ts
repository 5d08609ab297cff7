/**
 * The bot's operations endpoints, on their own port (`telemetry.port`, `--metrics-port`):
 *
 *   GET /healthz  200 while the process serves requests (liveness: the image's HEALTHCHECK)
 *   GET /readyz   200 when every readiness probe passes (Slack connected, state store usable), else 503 with
 *                 which one failed; JSON body `{ ready, checks: { name: { ok, detail } } }`
 *   GET /metrics  Prometheus exposition of telemetry/metrics.ts
 *
 * Readiness probes are registered by whoever owns the dependency (main.ts: Slack, the state store). Each probe
 * has a short deadline so a hung store makes /readyz answer "unready" quickly instead of hanging the kubelet or
 * compose health probe.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics, registry } from './metrics';
import { redact } from './redact';

export type ReadinessProbe = () => Promise<string | void> | string | void;

export interface OpsServerOptions {
  port: number;
  host: string;
  /** Per-probe deadline. */
  probeTimeoutMs?: number;
}

export class OpsServer {
  private readonly probes = new Map<string, ReadinessProbe>();
  private server: http.Server | undefined;
  private stopping = false;

  constructor(private readonly opts: OpsServerOptions) {}

  /** Add (or replace) a readiness probe: resolves (optionally with a detail) when ready, throws when not. */
  addReadiness(name: string, probe: ReadinessProbe): void {
    this.probes.set(name, probe);
  }

  /** During shutdown /readyz answers 503 so load balancers stop sending work, while /healthz stays up. */
  markStopping(): void {
    this.stopping = true;
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? (a as AddressInfo).port : undefined;
  }

  get url(): string | undefined {
    const p = this.port;
    if (p === undefined) return undefined;
    const host = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`error: ${err.message}\n`);
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot serve /metrics on ${this.opts.host}:${this.opts.port} (${err.code ?? err.message}); set telemetry.port / --metrics-port to a free port`)),
      );
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Runs every probe under its deadline. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> }> {
    const timeout = this.opts.probeTimeoutMs ?? 2000;
    const checks: Record<string, { ok: boolean; detail?: string }> = {};
    await Promise.all(
      [...this.probes].map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const detail = await Promise.race([
            Promise.resolve().then(probe),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout))),
          ]);
          checks[name] = { ok: true, ...(typeof detail === 'string' ? { detail: redact(detail) } : {}) };
        } catch (err) {
          checks[name] = { ok: false, detail: redact((err as Error).message) };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    if (this.stopping) checks.shutdown = { ok: false, detail: 'shutting down' };
    const ready = Object.values(checks).every((c) => c.ok);
    metrics.ready.set(ready ? 1 : 0);
    return { ready, checks };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
    } else if (path === '/readyz') {
      const r = await this.readiness();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r) + '\n');
    } else if (path === '/metrics') {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics, /healthz or /readyz\n');
    }
  }
}
