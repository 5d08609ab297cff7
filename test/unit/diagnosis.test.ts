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
    expect(v.rootCause?.remediations).toEqual(['restart-redis', 'restart-backend']);
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
      replace(healthy(), f('db-health', 'fail', ['ssl-redirect']), f('token-issuance', 'fail', ['ssl-redirect']), f('chat-handshake', 'fail', [])),
    );
    expect(v.rootCause?.id).toBe('ssl-redirect');
    expect(v.rootCause?.remediations).toContain('fix-ssl-redirect');
    expect(v.explainedBy['chat-handshake']).toBe('ssl-redirect');
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
      replace(healthy(), f('metrics', 'warn', ['metrics-path-mismatch']), f('token-issuance', 'fail', ['token-endpoint-503']), f('chat-handshake', 'fail', ['handshake-403'])),
    );
    expect(v.rootCause?.id).toBe('token-endpoint-error');
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
});
