import { diagnose } from '../../src/diagnosis/diagnose';
import type { Finding, Status } from '../../src/checks/types';

const f = (check: string, status: Status, signals: string[] = [], summary = `${check} ${status}`): Finding => ({
  check,
  status,
  summary,
  evidence: {},
  durationMs: 1,
  ref: 'test',
  ...(signals.length ? { signals } : {}),
});

const healthy = (): Finding[] =>
  ['http-liveness', 'db-health', 'ws-edge', 'token-issuance', 'token-storage', 'chat-handshake', 'redis', 'metrics'].map((c) => f(c, 'ok'));

const replace = (list: Finding[], ...repl: Finding[]): Finding[] => list.map((x) => repl.find((r) => r.check === x.check) ?? x);

describe('diagnosis', () => {
  it('all ok is healthy with no cause', () => {
    const v = diagnose(healthy());
    expect(v.overall).toBe('ok');
    expect(v.rootCause).toBeUndefined();
    expect(v.headline).toMatch(/^Healthy: all 8 checks pass/);
  });

  it('Redis down explains the token endpoint 500 and the 403 handshakes (target-system §12)', () => {
    const v = diagnose(
      replace(
        healthy(),
        f('redis', 'fail', ['redis-down']),
        f('token-issuance', 'fail', ['token-endpoint-500']),
        f('token-storage', 'fail', ['redis-down']),
        f('chat-handshake', 'fail', ['handshake-403']),
      ),
    );
    expect(v.overall).toBe('down');
    expect(v.rootCause?.id).toBe('redis-down');
    expect(v.rootCause?.remediations).toEqual(['restart-redis']);
    expect(v.otherCauses).toEqual([]);
    expect(v.explainedBy).toMatchObject({ 'token-issuance': 'redis-down', 'chat-handshake': 'redis-down', redis: 'redis-down' });
    expect(v.headline).toMatch(/^Down: Redis is down — explains .*token-issuance.*chat-handshake/);
  });

  it('a Redis the bot cannot reach while the stack works is not "Redis down"', () => {
    const v = diagnose(replace(healthy(), f('redis', 'fail', ['redis-down'])));
    expect(v.rootCause?.id).toBe('redis-unreachable-from-bot');
    expect(v.overall).toBe('degraded');
  });

  it('backend and Redis both refusing is "stack not running", not two separate problems', () => {
    const v = diagnose(
      replace(
        healthy(),
        f('http-liveness', 'fail', ['backend-down']),
        f('db-health', 'fail', ['backend-down']),
        f('redis', 'fail', ['redis-down']),
        f('token-issuance', 'unknown', ['no-probe-credentials']),
      ),
    );
    expect(v.rootCause?.id).toBe('stack-not-running');
    expect(v.otherCauses).toEqual([]);
    expect(v.rootCause?.nextStep).toMatch(/make up/);
  });

  it('a 301 to the same URL is the SSL-redirect incident and explains the token failure', () => {
    const v = diagnose(
      replace(healthy(), f('db-health', 'fail', ['ssl-redirect', 'ssl-setting-ignores-header']), f('token-issuance', 'fail', ['ssl-redirect']), f('chat-handshake', 'fail', [])),
    );
    expect(v.rootCause?.id).toBe('ssl-redirect-header-not-trusted');
    expect(v.rootCause?.remediations).toEqual(['fix-ssl-redirect']);
    expect(v.explainedBy['chat-handshake']).toBe('ssl-redirect-header-not-trusted');
  });

  it('backend down outranks everything downstream of it', () => {
    const v = diagnose(
      replace(
        healthy(),
        f('http-liveness', 'fail', ['backend-down']),
        f('db-health', 'fail', ['backend-down']),
        f('ws-edge', 'fail', ['asgi-down']),
        f('token-issuance', 'fail', ['backend-down']),
        f('metrics', 'fail', ['metrics-missing']),
      ),
    );
    expect(v.rootCause?.id).toBe('backend-down');
    expect(v.otherCauses.map((c) => c.id)).toEqual([]);
    expect(v.explainedBy.metrics).toBe('backend-down');
  });

  it('independent problems are listed after the root cause, most severe first', () => {
    const v = diagnose(
      replace(healthy(), f('metrics', 'warn', ['metrics-path-mismatch']), f('token-issuance', 'fail', ['token-endpoint-503']), f('chat-handshake', 'unknown', [])),
    );
    expect(v.rootCause?.id).toBe('web-cache-unreachable');
    expect(v.otherCauses.map((c) => c.id)).toEqual(['metrics-path-mismatch']);
    expect(v.overall).toBe('down');
  });

  it('a failing check no rule knows still gets its own line', () => {
    const v = diagnose(replace(healthy(), f('ws-edge', 'warn', [], 'slow edge')));
    expect(v.overall).toBe('degraded');
    expect(v.rootCause).toMatchObject({ id: 'check:ws-edge', why: 'slow edge', severity: 'degraded' });
  });

  it("the bot's own blind spot (no Docker socket) does not mark the stack degraded", () => {
    const v = diagnose([...healthy(), f('containers', 'unknown', ['docker-unreachable']), f('backend-logs', 'unknown', ['docker-unreachable'])]);
    expect(v.overall).toBe('ok');
    expect(v.headline).toBe('Healthy: all 8 checks pass (could not run: containers, backend-logs)');
  });

  it('everything unknown is unknown, not healthy', () => {
    expect(diagnose([f('redis', 'unknown'), f('metrics', 'unknown')]).overall).toBe('unknown');
  });

  it('a hung backend (timeouts with the port open) is named as such', () => {
    const v = diagnose(replace(healthy(), f('http-liveness', 'fail', ['timeout']), f('db-health', 'fail', ['timeout']), f('token-issuance', 'fail', ['timeout'])));
    expect(v.rootCause?.id).toBe('backend-hung');
  });

  // ---- classes of misread seen on the real stack (issue 7) -------------------------------------------------

  it('a hung Redis is named as Redis, not as a hung backend, when the constant liveness path still answers', () => {
    const v = diagnose(
      replace(
        healthy(),
        f('redis', 'fail', ['redis-down', 'redis-timeout']),
        f('db-health', 'fail', ['backend-down', 'timeout']),
        f('token-issuance', 'fail', ['backend-down', 'timeout']),
        f('chat-handshake', 'unknown'),
      ),
    );
    expect(v.rootCause?.id).toBe('redis-hung');
    expect(v.rootCause?.remediations).toEqual(['restart-redis']);
    expect(v.otherCauses.map((c) => c.id)).not.toContain('backend-hung');
  });

  it.each([
    ['handshake-403-origin', 'origin-not-allowed', ['fix-origins']],
    ['handshake-403-connection-limit', 'probe-user-connection-limit', ['clear-leaked-counters']],
    ['handshake-403-rate-limit', 'connection-rate-limit', []],
    ['handshake-403-token-expired', 'token-expires-before-use', []],
    ['handshake-403-unexplained', 'handshake-refused', []],
  ])('a pre-accept 403 is split by its evidence: %s → %s', (signal, cause, fixes) => {
    const v = diagnose(replace(healthy(), f('chat-handshake', 'fail', ['handshake-403', signal])));
    expect(v.rootCause?.id).toBe(cause);
    expect(v.rootCause?.remediations).toEqual(fixes);
  });

  it('a handshake 500 without a route is not the channel layer; with the route and Redis fine it is inferred as such', () => {
    expect(diagnose(replace(healthy(), f('chat-handshake', 'fail', ['handshake-500', 'handshake-500-no-route']))).rootCause?.id).toBe('chat-route-missing');
    const inferred = diagnose(replace(healthy(), f('chat-handshake', 'fail', ['handshake-500', 'handshake-500-in-consumer'])));
    expect(inferred.rootCause?.id).toBe('channel-layer-error');
    expect(inferred.rootCause?.why).toMatch(/inferred/);
    // A channel-layer round trip that passed refutes the inference.
    const refuted = diagnose([...replace(healthy(), f('chat-handshake', 'fail', ['handshake-500', 'handshake-500-in-consumer'])), f('channel-layer', 'ok')]);
    expect(refuted.rootCause?.id).not.toBe('channel-layer-error');
  });

  it('Redis full with noeviction is named as OOM, not as the channel layer', () => {
    const v = diagnose(replace(healthy(), f('redis', 'fail', ['redis-oom']), f('chat-handshake', 'fail', ['handshake-500', 'handshake-500-in-consumer'])));
    expect(v.rootCause?.id).toBe('redis-oom');
    expect(v.rootCause?.why).toMatch(/nothing is evicted/);
  });

  it('SSL redirect: the remediation follows the differential probe and the URL scheme', () => {
    const direct = diagnose(replace(healthy(), { ...f('db-health', 'fail', ['ssl-redirect', 'ssl-proxy-header-missing']), evidence: { probedScheme: 'http' } }));
    expect(direct.rootCause?.id).toBe('ssl-redirect-no-forwarded-proto');
    expect(direct.rootCause?.remediations).toEqual(['set-bot-forwarded-proto']);
    const proxied = diagnose(replace(healthy(), { ...f('db-health', 'fail', ['ssl-redirect', 'ssl-proxy-header-missing']), evidence: { probedScheme: 'https' } }));
    expect(proxied.rootCause?.remediations).toEqual(['fix-proxy-forwarded-proto']);
    expect(proxied.rootCause?.nextStep).not.toMatch(/SECURE_PROXY_SSL_HEADER = /);
  });

  it('DisallowedHost is not bad credentials nor a metrics path problem', () => {
    const v = diagnose(
      replace(healthy(), f('db-health', 'fail', ['disallowed-host']), f('token-issuance', 'fail', ['disallowed-host']), f('metrics', 'fail', ['disallowed-host'])),
    );
    expect(v.rootCause?.id).toBe('disallowed-host');
    expect(v.otherCauses).toEqual([]);
  });

  it('a web cache on an unreachable Redis while the bot reaches Redis is fix-cache-url, never restart-backend', () => {
    const v = diagnose(replace(healthy(), f('db-health', 'fail', ['token-or-cache-500']), f('token-issuance', 'fail', ['login-error']), f('chat-handshake', 'unknown')));
    expect(v.rootCause?.id).toBe('web-cache-unreachable');
    expect(v.rootCause?.remediations).toEqual(['fix-cache-url']);
  });

  it('no exporter mounted is not "served on an unexpected path"', () => {
    const v = diagnose(replace(healthy(), f('metrics', 'fail', ['metrics-missing'])));
    expect(v.rootCause?.id).toBe('metrics-not-mounted');
    expect(v.rootCause?.title).not.toMatch(/unexpected path/);
  });

  it('log-only signals never contradict passing probes (invalid tokens from clients are not cache misconfiguration)', () => {
    const v = diagnose([...healthy(), f('backend-logs', 'warn', ['token-expiry-or-db-mismatch', 'ssl-redirect-suspected'])]);
    expect(v.rootCause?.id).toBe('clients-invalid-tokens');
    expect(v.overall).toBe('degraded');
    expect([v.rootCause, ...v.otherCauses].map((c) => c?.id)).not.toContain('ssl-redirect');
    expect([v.rootCause, ...v.otherCauses].map((c) => c?.id)).not.toContain('token-not-stored');
  });

  it('a crash-looping web container is the headline, with no restart offered', () => {
    const v = diagnose([
      ...replace(healthy(), f('http-liveness', 'fail', ['backend-down']), f('db-health', 'fail', ['backend-down'])),
      f('container-restarts', 'fail', ['web-restart-loop']),
    ]);
    expect(v.rootCause?.id).toBe('web-restart-loop');
    expect(v.rootCause?.remediations).toEqual([]);
    expect(v.rootCause?.nextStep).not.toMatch(/uvicorn/);
  });

  it('celery exiting is down (a critical service)', () => {
    const v = diagnose([...healthy(), f('containers', 'fail', ['celery-down'])]);
    expect(v.rootCause?.id).toBe('celery-down');
    expect(v.overall).toBe('down');
  });

  it('exceptions in the backend log reach the verdict', () => {
    const v = diagnose([...healthy(), f('backend-logs', 'warn', ['asgi-exceptions'])]);
    expect(v.rootCause?.id).toBe('app-exceptions');
  });

  it('the chat path that could not be checked makes the verdict Unknown, not Healthy', () => {
    const v = diagnose(replace(healthy(), f('token-issuance', 'unknown', ['no-probe-credentials']), f('token-storage', 'unknown'), f('chat-handshake', 'unknown')));
    expect(['unknown', 'degraded']).toContain(v.overall);
    expect(v.headline).not.toMatch(/^Healthy/);
  });

  it("what the probe changed reaches the verdict", () => {
    const v = diagnose(replace(healthy(), { ...f('chat-handshake', 'fail', ['handshake-403', 'handshake-403-connection-limit']), evidence: { probeChanged: 'ws_connections:user:42 5 → 4' } }));
    expect(v.probeChanges).toEqual(['chat-handshake: ws_connections:user:42 5 → 4']);
  });

  it('views that time out while liveness and Redis answer are named as such, with no restart offered', () => {
    const v = diagnose(replace(healthy(), f('db-health', 'fail', ['backend-down', 'timeout']), f('token-issuance', 'fail', ['backend-down', 'timeout']), f('chat-handshake', 'unknown')));
    expect(v.rootCause?.id).toBe('django-requests-hang');
    expect(v.rootCause?.remediations).toEqual([]);
  });
});
