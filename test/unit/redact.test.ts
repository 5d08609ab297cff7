import { redact, redactDeep } from '../../src/telemetry/redact';

const TOKEN = 'Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0MiwiZXhwIjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('redaction', () => {
  it.each([
    [`INFO:     127.0.0.1:5555 - "WebSocket /ws/chat/p1/?connection_token=${TOKEN}" 403`, TOKEN],
    [`GET /ws/chat/x/?token=${JWT}`, JWT],
    ['WARNING 2026-01-01 10:00:00,123 [WS_TOKEN] Invalid or expired token: Abcd1234...', 'Abcd1234'],
    [`Cookie: access_token=${JWT}; refresh_token=${JWT}; csrftoken=abc123def`, 'abc123def'],
    [`{"connection_token": "${TOKEN}", "expires_in": 60}`, TOKEN],
    ['redis://:s3cretpass@redis:6379/2', 's3cretpass'],
    ['Authorization: Bearer some.opaque-token-value', 'some.opaque-token-value'],
    ['slack xoxb-1234-5678-abcdefgh and xapp-1-A0-123-abcdef', 'abcdefgh'],
    [`allthrive:1:ws_conn_token:${TOKEN}`, TOKEN],
    [`{"email":"a@b.c","password":"hunter2"}`, 'hunter2'],
    // A token with no digit (about 1 in 150 of token_urlsafe(32)), bare and in a Python dict repr.
    ['consumed AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQ', 'AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQ'],
    [`{'connection_token': 'AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGhIjKlMnOpQ', 'user_id': 42}`, 'AbCdEfGhIjKl'],
    [`{'email': 'a@b.c', 'password': 'hunter2'}`, 'hunter2'],
    // JSON escaped inside a JSON log line.
    [`{"msg":"body={\\"password\\": \\"hunter2\\"}"}`, 'hunter2'],
    // A password containing '@' must not leave its tail behind.
    ['redis://default:p@ssw0rd@redis:6379/2', 'ssw0rd'],
  ])('masks %s', (line, secret) => {
    const out = redact(line);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
    expect(redact(out)).toBe(out);
  });

  it('leaves ordinary diagnostics alone', () => {
    for (const line of [
      'WebSocket connected: user=42, conversation=probe-1732600000',
      '[WS_TOKEN_API] Generated connection token for user=ws-doctor',
      'INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)',
      'django_http_responses_total_by_status_total{status="500"} 3.0',
    ]) {
      expect(redact(line)).toBe(line);
    }
  });

  it('masks secret-named keys and errors in structured values', () => {
    const out = redactDeep({ botToken: 'xyz', nested: { password: 'p', note: `token=${TOKEN}` }, err: new Error(`bad ${JWT}`) });
    expect(JSON.stringify(out)).not.toMatch(/xyz|"p"|Abcdefghij|eyJ/);
    expect(out.nested.note).toBe('token=[REDACTED]');
  });
});
