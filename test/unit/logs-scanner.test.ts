import { analyzeCounts, type LogThresholds } from '../../src/logs/analyze';
import { classifyLine, emptyCounts, MARKERS } from '../../src/logs/markers';
import { LogScanner } from '../../src/logs/scanner';
import { redact } from '../../src/telemetry/redact';

const TOKEN = 'Qx7_kP2m-Zr9LwB4tY6uN1sD3fG5hJ8kL0aS2dF4gH6'; // 43 chars, token_urlsafe(32)-like
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0Miwic2Vzc2lvbl92ZXJzaW9uIjoxfQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU';

const th: LogThresholds = { rejectRatioWarn: 0.2, tokenConsumeRatioWarn: 0.5, minEvents: 3, reloadLoopStarts: 3 };

function scan(text: string, step = 17): ReturnType<LogScanner['end']> {
  const s = new LogScanner({ evidenceLines: 5 });
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += step) s.write(1, b, i, Math.min(b.length, i + step));
  return s.end();
}

let ms = 0;
const ts = (): string => `2026-11-26 10:00:00,${String(ms++ % 1000).padStart(3, '0')}`;

describe('marker table', () => {
  test('every marker is found by the prefilter and classified as itself', () => {
    for (const m of MARKERS) {
      const line = `INFO ${ts()} ${m.needle} ${'also' in m ? m.also : ''}`;
      const r = scan(line + '\n');
      expect(r.counts[m.id]).toBe(1);
    }
  });

  test('Daphne verbs do not overlap', () => {
    expect(classifyLine('127.0.0.1:1 - - [26/Nov/2026:10:00:00] "WSCONNECTING /ws/chat/x/" - -')).toEqual(['daphneConnecting']);
    expect(classifyLine('127.0.0.1:1 - - [26/Nov/2026:10:00:00] "WSCONNECT /ws/chat/x/" - -')).toEqual(['daphneConnect']);
    expect(classifyLine('127.0.0.1:1 - - [26/Nov/2026:10:00:00] "WSDISCONNECT /ws/chat/x/" - -')).toEqual(['daphneDisconnect']);
    expect(classifyLine('127.0.0.1:1 - - [26/Nov/2026:10:00:00] "WSREJECT /ws/chat/x/" - -')).toEqual(['daphneReject']);
  });

  test('uvicorn access lines: accepted vs 403', () => {
    expect(classifyLine(`INFO:     127.0.0.1:5 - "WebSocket /ws/chat/a/?connection_token=${TOKEN}" [accepted]`)).toEqual(['uvicornAccepted']);
    expect(classifyLine(`INFO:     127.0.0.1:5 - "WebSocket /ws/chat/a/?connection_token=${TOKEN}" 403`)).toEqual(['uvicornRejected']);
  });

  test('noise is not classified', () => {
    const r = scan('INFO django GET /api/v1/projects/ 200\nDEBUG WSGI-ish words\nplain text\n');
    expect(Object.values(r.counts).every((n) => n === 0)).toBe(true);
    expect(r.lines).toBe(3);
  });
});

describe('LogScanner', () => {
  test('counts across arbitrary chunk boundaries and both streams', () => {
    const lines = [
      `INFO ${ts()} [WS_TOKEN_API] Generated connection token for user=alice`,
      `INFO ${ts()} [WS_TOKEN] Generated connection token: user=alice ttl=60s`,
      `INFO ${ts()} [WS_TOKEN] Successfully consumed connection token: user=alice age=0.3s`,
      `INFO ${ts()} [WS_AUTH] Authenticated via connection token: user=alice, path=/ws/chat/x/`,
      `INFO:     127.0.0.1:5000 - "WebSocket /ws/chat/x/?connection_token=${TOKEN}" [accepted]`,
    ];
    for (const step of [1, 5, 64, 100000]) {
      const s = new LogScanner();
      const b = Buffer.from(lines.join('\n') + '\n');
      for (let i = 0; i < b.length; i += step) s.write(i % 2 ? 1 : 1, b, i, Math.min(b.length, i + step));
      const err = Buffer.from(`WARNING ${ts()} Unauthenticated WebSocket connection attempt for conversation c1\n`);
      s.write(2, err);
      const r = s.end();
      expect(r.counts.tokenApiGenerated).toBe(1);
      expect(r.counts.tokenGenerated).toBe(1);
      expect(r.counts.tokenConsumed).toBe(1);
      expect(r.counts.authViaToken).toBe(1);
      expect(r.counts.uvicornAccepted).toBe(1);
      expect(r.counts.unauthenticated).toBe(1);
      expect(r.lines).toBe(6);
    }
  });

  test('doubled services.* lines (same text, same ms timestamp) count once; real repeats count twice', () => {
    const a = `INFO 2026-11-26 10:00:01,111 [WS_TOKEN] Generated connection token: user=bob ttl=60s`;
    const b = `INFO 2026-11-26 10:00:01,112 [WS_TOKEN] Generated connection token: user=bob ttl=60s`;
    const r = scan([a, a, b, b, 'noise', b].join('\n') + '\n');
    // a,a → 1; b,b → 1; a later b (third copy) → counted again.
    expect(r.counts.tokenGenerated).toBe(3);
    expect(r.duplicates).toBe(2);
    // Lines without the app's timestamp are never merged.
    const u = `INFO:     127.0.0.1:5 - "WebSocket /ws/chat/a/" 403`;
    expect(scan([u, u].join('\n') + '\n').counts.uvicornRejected).toBe(2);
  });

  test('evidence lines are redacted and failures come first', () => {
    const text = [
      `INFO ${ts()} [WS_TOKEN] Successfully consumed connection token: user=alice age=0.3s`,
      `INFO:     127.0.0.1:5000 - "WebSocket /ws/chat/x/?connection_token=${TOKEN}" 403`,
      `WARNING ${ts()} [WS_TOKEN] Invalid or expired token: ${TOKEN.slice(0, 8)}...`,
      `WARNING ${ts()} Invalid or expired connection token: ${TOKEN.slice(0, 8)}...`,
      `INFO:     127.0.0.1:5001 - "WebSocket /ws/chat/x/?token=${JWT}" [accepted]`,
      `ERROR ${ts()} Unexpected error validating connection token: Error 111 connecting to redis://:s3cretpass@redis:6379/2`,
    ].join('\n');
    const r = scan(text + '\n');
    const all = r.evidence.join('\n');
    expect(r.evidence.length).toBe(5);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(TOKEN.slice(0, 8));
    expect(all).not.toContain(JWT.slice(0, 20));
    expect(all).not.toContain('s3cretpass');
    expect(r.evidence[0]).toMatch(/403|Invalid|Unexpected/);
  });

  test('utf-8 in evidence survives the latin1 scan', () => {
    const r = scan(`WARNING ${ts()} WebSocket rejected - unauthorized origin: https://ünïcødé.example ✓\n`);
    expect(r.evidence[0]).toContain('ünïcødé');
    expect(r.evidence[0]).toContain('✓');
  });

  test('the last ASGI start line is reported', () => {
    const r = scan('INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)\nINFO:     Application startup complete.\n');
    expect(r.counts.uvicornRunning).toBe(1);
    expect(r.counts.appStartupComplete).toBe(1);
    expect(r.lastStartLine).toContain('Application startup complete');
  });
});

describe('analyzeCounts', () => {
  const c = (o: Partial<ReturnType<typeof emptyCounts>>) => ({ ...emptyCounts(), ...o });

  test('healthy traffic is ok', () => {
    const v = analyzeCounts(c({ tokenApiGenerated: 10, tokenGenerated: 10, tokenConsumed: 10, uvicornAccepted: 10 }), th);
    expect(v.status).toBe('ok');
    expect(v.signals).toEqual([]);
  });

  test('tokens generated but never reaching Django → ssl-redirect-suspected', () => {
    const v = analyzeCounts(c({ tokenApiGenerated: 20, tokenGenerated: 20, tokenConsumed: 1 }), th);
    expect(v.status).toBe('warn');
    expect(v.signals).toContain('ssl-redirect-suspected');
    expect(v.metrics.reachRatio).toBeCloseTo(0.05);
  });

  test('tokens refused still reached Django: no SSL signal, but token-expiry-or-db-mismatch', () => {
    const v = analyzeCounts(c({ tokenGenerated: 10, tokenInvalid: 9, connTokenInvalid: 9, authInvalidToken: 9, tokenConsumed: 1 }), th);
    expect(v.signals).not.toContain('ssl-redirect-suspected');
    expect(v.signals).toContain('token-expiry-or-db-mismatch');
  });

  test('below minEvents nothing fires', () => {
    const v = analyzeCounts(c({ tokenGenerated: 2, uvicornRejected: 2 }), th);
    expect(v.status).toBe('ok');
  });

  test('Unexpected error validating → redis-errors-in-logs (a log line says it happened; the redis check says whether Redis is down)', () => {
    const v = analyzeCounts(c({ unexpectedValidating: 1 }), th);
    expect(v.signals).toContain('redis-errors-in-logs');
    expect(v.signals).not.toContain('redis-down');
    expect(v.status).toBe('warn');
  });

  test('reject ratio above threshold warns, with the cause signals', () => {
    const v = analyzeCounts(c({ uvicornAccepted: 6, uvicornRejected: 4, originRejected: 4, connectAttempt: 10 }), th);
    expect(v.status).toBe('warn');
    expect(v.metrics.rejectRatio).toBeCloseTo(0.4);
    expect(v.signals).toContain('origin-rejections');
    const d = analyzeCounts(c({ daphneConnect: 1, daphneReject: 9 }), th);
    expect(d.metrics.handshakeSource).toBe('access-log');
    expect(d.status).toBe('warn');
  });

  test('consumer lines stand in when there is no access log', () => {
    const v = analyzeCounts(c({ connectAttempt: 10, originRejected: 5, connected: 5 }), th);
    expect(v.metrics.handshakeSource).toBe('consumer');
    expect(v.signals).toContain('origin-rejections');
  });

  test('reload loop: Application startup complete repeats', () => {
    const v = analyzeCounts(c({ uvicornRunning: 1, appStartupComplete: 4 }), th);
    expect(v.signals).toContain('asgi-reload-loop');
    expect(v.metrics.asgiStarts).toBe(4);
    expect(analyzeCounts(c({ uvicornRunning: 1, appStartupComplete: 1 }), th).status).toBe('ok');
    // Daphne has no reloader: its repeated starts are process restarts, never "uvicorn --reload".
    expect(analyzeCounts(c({ daphneListening: 3 }), th).signals).toEqual(['asgi-restart-loop']);
    expect(analyzeCounts(c({ daphneListening: 3 }), th).problems.join(' ')).not.toMatch(/reload/);
  });

  test('exceptions inside the application reach the verdict', () => {
    const v = analyzeCounts(c({ exceptionInApp: 2, traceback: 2, noRoute: 2 }), th);
    expect(v.signals).toContain('asgi-exceptions');
    expect(v.problems.join(' ')).toMatch(/2 exception\(s\).*No route found for path/);
  });
});

describe('redaction of log lines', () => {
  const lines = [
    `INFO:     172.18.0.1:50412 - "WebSocket /ws/chat/ava-1/?connection_token=${TOKEN}" [accepted]`,
    `INFO:     172.18.0.1:50413 - "WebSocket /ws/chat/ava-1/?token=${JWT}" 403`,
    `WARNING 2026-11-26 10:00:00,000 [WS_TOKEN] Invalid or expired token: ${TOKEN.slice(0, 8)}...`,
    `WARNING 2026-11-26 10:00:00,000 Invalid or expired connection token: ${TOKEN.slice(0, 8)}...`,
    `INFO 2026-11-26 10:00:00,000 [WS_TOKEN] Successfully consumed connection token: ${TOKEN.slice(0, 8)}... age=1.2s`,
    `DEBUG Cookie: access_token=${JWT}; refresh_token=${JWT}; sessionid=abc123sessionvalue; csrftoken=csrfvalue123`,
    `INFO connecting to redis://:r3disAuthT0ken@master.cache.amazonaws.com:6379/2`,
    `INFO env REDIS_AUTH_TOKEN=r3disAuthT0ken DATABASE_PASSWORD=pgPassw0rd SECRET_KEY=django-insecure-xyz`,
    `INFO {"connection_token": "${TOKEN}", "expires_in": 60}`,
    `INFO Authorization: Bearer ${JWT}`,
  ];
  const secrets = [TOKEN, TOKEN.slice(0, 8), JWT.slice(0, 24), 'abc123sessionvalue', 'csrfvalue123', 'r3disAuthT0ken', 'pgPassw0rd', 'django-insecure-xyz'];

  test.each(lines)('no secret survives: %s', (line) => {
    const out = redact(line);
    for (const s of secrets) expect(out).not.toContain(s);
  });

  test('redaction is idempotent on log lines', () => {
    for (const l of lines) expect(redact(redact(l))).toBe(redact(l));
  });

  test('ordinary words ending in ... survive', () => {
    expect(redact('INFO Running migrations...')).toBe('INFO Running migrations...');
    expect(redact('Starting server at tcp:port=8000:interface=0.0.0.0')).toContain('tcp:port=8000');
  });
});
