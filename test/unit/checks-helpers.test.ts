import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTarget, isSelfHttpsRedirect, joinUrl, classifyFetchError } from '../../src/targets/http';
import { accessCookie, ProbeSession } from '../../src/targets/session';
import { globEscape } from '../../src/targets/redis-scan';
import { wsBaseUrl } from '../../src/targets/websocket';
import { count5xx } from '../../src/checks/metrics';
import { parseInfo } from '../../src/checks/redis';
import { redactUrl } from '../../src/checks/probe-helpers';
import { allChecks, findCheck } from '../../src/checks/registry';

describe('url helpers', () => {
  test('self https redirect is the SSL-redirect signature, other redirects are not', () => {
    const req = 'http://127.0.0.1:8000/api/v1/db/health/';
    expect(isSelfHttpsRedirect(req, 'https://127.0.0.1:8000/api/v1/db/health/')).toBe(true);
    expect(isSelfHttpsRedirect(req, 'https://127.0.0.1/api/v1/db/health/')).toBe(true); // port may be dropped by a proxy
    expect(isSelfHttpsRedirect(req, 'https://127.0.0.1:8000/login/')).toBe(false);
    expect(isSelfHttpsRedirect(req, 'http://127.0.0.1:8000/api/v1/db/health/')).toBe(false);
    expect(isSelfHttpsRedirect(req, 'https://example.com/api/v1/db/health/')).toBe(false);
    expect(isSelfHttpsRedirect(req, undefined)).toBe(false);
  });

  test('joinUrl, wsBaseUrl, redactUrl', () => {
    expect(joinUrl('http://h:1/', '/a/')).toBe('http://h:1/a/');
    expect(wsBaseUrl('https://h/')).toBe('wss://h');
    expect(wsBaseUrl('http://h:8000', 'ws://other:1/')).toBe('ws://other:1');
    const shown = redactUrl('ws://h/ws/chat/probe-1/?connection_token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde');
    expect(shown).toBe('/ws/chat/probe-1/?connection_token=…');
  });

  test('fetch errors are classified', () => {
    expect(classifyFetchError({ name: 'TimeoutError' }).error).toBe('timeout');
    expect(classifyFetchError({ cause: { code: 'ECONNREFUSED' } }).error).toBe('refused');
  });

  test('a credentialed base URL never leaks its password through the error text', async () => {
    // undici refuses such a URL and quotes it; cut at 80 chars before redaction it kept part of the password.
    const res = await new HttpTarget({ baseUrl: 'http://u:s3cr3tpw@127.0.0.1:1', timeoutMs: 1000 }).request('/api/v1/health/');
    expect(res.kind).toBe('error');
    expect(res.kind === 'error' ? res.message : '').not.toMatch(/s3c/);
  });
});

describe('parsers', () => {
  test('access_token cookie with Max-Age', () => {
    const c = accessCookie(['csrftoken=x; Path=/', 'access_token=eyJ.a.b; Domain=localhost; HttpOnly; Max-Age=900; Path=/']);
    expect(c).toEqual({ value: 'eyJ.a.b', maxAgeSeconds: 900 });
    expect(accessCookie(['access_token=""; Max-Age=0'])).toBeUndefined();
    expect(accessCookie([])).toBeUndefined();
  });

  test('5xx count from django-prometheus', () => {
    const text = [
      '# TYPE django_http_responses_total_by_status_total counter',
      'django_http_responses_total_by_status_total{status="200"} 10.0',
      'django_http_responses_total_by_status_total{status="500"} 3.0',
      'django_http_responses_total_by_status_total{status="503"} 2.0',
    ].join('\n');
    expect(count5xx(text)).toBe(5);
    expect(count5xx('python_info 1')).toBeNull();
  });

  test('INFO parsing and glob escaping', () => {
    expect(parseInfo('# Memory\r\nused_memory:1024\r\nmaxmemory:0\r\n')).toEqual({ used_memory: '1024', maxmemory: '0' });
    expect(globEscape('a*b?[c]')).toBe('a\\*b\\?\\[c\\]');
  });
});

describe('registry', () => {
  test('names are unique kebab-case and every `after` exists', () => {
    const names = allChecks.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of allChecks) {
      expect(c.name).toMatch(/^[a-z][a-z0-9-]*$/);
      for (const d of c.after ?? []) expect(findCheck(d)).toBeDefined();
    }
    expect(findCheck('chat-handshake')?.after).toContain('token-storage');
  });
});

describe('ProbeSession against a local HTTP server', () => {
  let server: http.Server;
  let logins = 0;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      logins++;
      res.setHeader('Set-Cookie', [`access_token=jwt-${logins}; Domain=localhost; HttpOnly; Max-Age=900; Path=/`]);
      res.end('{"success":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => await new Promise((r) => server.close(r)));

  test('reuses the cookie, relogs after invalidate, and limits logins per minute', async () => {
    let now = 1_000_000;
    const s = new ProbeSession({
      http: new HttpTarget({ baseUrl: base, timeoutMs: 2000 }),
      loginPath: '/login/',
      email: 'e',
      password: 'p',
      cookieReuseSeconds: 840,
      loginPerMinute: 2,
      now: () => now,
    });
    const a = await s.accessToken();
    expect(a).toMatchObject({ kind: 'ok', jwt: 'jwt-1', cached: false });
    expect(await s.accessToken()).toMatchObject({ kind: 'ok', jwt: 'jwt-1', cached: true });
    s.invalidate();
    expect(await s.accessToken()).toMatchObject({ kind: 'ok', jwt: 'jwt-2', cached: false });
    s.invalidate();
    const limited = await s.accessToken();
    expect(limited.kind).toBe('limited');
    expect(logins).toBe(2);
    now += 61_000;
    expect(await s.accessToken()).toMatchObject({ kind: 'ok', jwt: 'jwt-3' });
    // Cookie reuse expires (Max-Age 900 - 60 s margin vs 840 s): a new login after 841 s.
    now += 841_000;
    expect(await s.accessToken()).toMatchObject({ kind: 'ok', jwt: 'jwt-4', cached: false });
  });

  test('no password → no request', async () => {
    const s = new ProbeSession({ http: new HttpTarget({ baseUrl: base, timeoutMs: 2000 }), loginPath: '/l', email: 'e', cookieReuseSeconds: 1, loginPerMinute: 1 });
    const before = logins;
    expect(await s.accessToken()).toEqual({ kind: 'no-password' });
    expect(logins).toBe(before);
  });
});
