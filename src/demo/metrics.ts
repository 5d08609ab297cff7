/**
 * The django-prometheus exporter of the web process (target-system §6), on a private prom-client registry.
 * HTTP series count the demo's own responses; the AllThrive custom metrics are declared as the real module
 * declares them (most never get a sample on the web process, `allthrive_active_conversations` is always 0).
 */
import fs from 'node:fs';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 25.0, 50.0, 75.0];

export class DemoMetrics {
  readonly registry = new Registry();
  private readonly requestsByView: Counter<'view' | 'transport' | 'method'>;
  private readonly responsesByStatus: Counter<'status'>;
  private readonly latencyByView: Histogram<'view' | 'method'>;
  private readonly exceptionsByType: Counter<'type'>;
  private readonly exceptionsByView: Counter<'view'>;
  private readonly requestsBefore: Counter<string>;
  private readonly responsesBefore: Counter<string>;
  readonly rateLimitHits: Counter<'user_id' | 'limit_type'>;

  constructor() {
    const registers = [this.registry];
    this.requestsBefore = new Counter({
      name: 'django_http_requests_before_middlewares_total',
      help: 'Total count of requests before middlewares run.',
      registers,
    });
    this.responsesBefore = new Counter({
      name: 'django_http_responses_before_middlewares_total',
      help: 'Total count of responses before middlewares run.',
      registers,
    });
    this.requestsByView = new Counter({
      name: 'django_http_requests_total_by_view_transport_method_total',
      help: 'Count of requests by view, transport, method.',
      labelNames: ['view', 'transport', 'method'],
      registers,
    });
    this.responsesByStatus = new Counter({
      name: 'django_http_responses_total_by_status_total',
      help: 'Count of responses by status.',
      labelNames: ['status'],
      registers,
    });
    this.latencyByView = new Histogram({
      name: 'django_http_requests_latency_seconds_by_view_method',
      help: 'Histogram of request processing time labelled by view.',
      labelNames: ['view', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.exceptionsByType = new Counter({
      name: 'django_http_exceptions_total_by_type_total',
      help: 'Count of exceptions by object type.',
      labelNames: ['type'],
      registers,
    });
    this.exceptionsByView = new Counter({
      name: 'django_http_exceptions_total_by_view_total',
      help: 'Count of exceptions by view.',
      labelNames: ['view'],
      registers,
    });

    // AllThrive custom metrics (core/agents/metrics.py).
    new Counter({ name: 'allthrive_chat_messages_total', help: 'Total chat messages processed', labelNames: ['intent', 'user_id'], registers });
    new Counter({ name: 'allthrive_chat_messages_by_intent_total', help: 'Chat messages by intent', labelNames: ['intent'], registers });
    new Histogram({
      name: 'allthrive_llm_response_seconds',
      help: 'LLM response time in seconds',
      labelNames: ['provider', 'model'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    new Histogram({
      name: 'allthrive_intent_detection_seconds',
      help: 'Intent detection time in seconds',
      buckets: [0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.rateLimitHits = new Counter({
      name: 'allthrive_rate_limit_hits_total',
      help: 'Rate limit hits',
      labelNames: ['user_id', 'limit_type'],
      registers,
    });
    new Gauge({ name: 'allthrive_rate_limit_remaining', help: 'Remaining rate limit', labelNames: ['user_id'], registers });
    new Gauge({ name: 'allthrive_circuit_breaker_state', help: 'Circuit breaker state (0=closed, 1=open, 2=half_open)', labelNames: ['service'], registers });
    new Counter({ name: 'allthrive_circuit_breaker_failures_total', help: 'Circuit breaker failures', labelNames: ['service'], registers });
    new Counter({ name: 'allthrive_cache_hits_total', help: 'Cache hits', labelNames: ['cache_type'], registers });
    new Counter({ name: 'allthrive_cache_misses_total', help: 'Cache misses', labelNames: ['cache_type'], registers });
    new Gauge({ name: 'allthrive_active_conversations', help: 'Number of active conversations', registers }).set(0);
    new Counter({
      name: 'allthrive_tokens_used_total',
      help: 'Total LLM tokens used',
      labelNames: ['provider', 'model', 'token_type'],
      registers,
    });

    // process_* / python_* like prometheus_client's default collectors (no background timers).
    const startS = Math.floor(Date.now() / 1000);
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      registers,
      collect() {
        this.set(process.memoryUsage().rss);
      },
    });
    new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers }).set(startS);
    new Counter({
      name: 'process_cpu_seconds_total',
      help: 'Total user and system CPU time spent in seconds.',
      registers,
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers,
      collect() {
        try {
          this.set(fs.readdirSync('/proc/self/fd').length);
        } catch {
          /* not Linux */
        }
      },
    });
    new Gauge({
      name: 'python_info',
      help: 'Python platform information',
      labelNames: ['implementation', 'major', 'minor', 'patchlevel', 'version'],
      registers,
    }).set({ implementation: 'CPython', major: '3', minor: '12', patchlevel: '8', version: '3.12.8' }, 1);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    return await this.registry.metrics();
  }

  requestStarted(): void {
    this.requestsBefore.inc();
  }

  /** One finished HTTP request. */
  observe(view: string, method: string, status: number, seconds: number): void {
    this.responsesBefore.inc();
    this.requestsByView.inc({ view, transport: 'http', method });
    this.responsesByStatus.inc({ status: String(status) });
    this.latencyByView.observe({ view, method }, seconds);
  }

  exception(type: string, view: string): void {
    this.exceptionsByType.inc({ type });
    this.exceptionsByView.inc({ view });
  }
}
