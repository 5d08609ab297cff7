/** Django's own HTML error pages and cookie formatting, as the web container serves them. */

export function notFoundPage(debug: boolean, path: string): string {
  if (debug) {
    return (
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n' +
      `  <title>Page not found at ${escapeHtml(path)}</title>\n  <meta name="robots" content="NONE,NOARCHIVE">\n</head>\n<body>\n` +
      '  <div id="summary">\n    <h1>Page not found <span>(404)</span></h1>\n' +
      `    <table class="meta">\n      <tr><th>Request URL:</th><td>http://localhost:8000${escapeHtml(path)}</td></tr>\n    </table>\n  </div>\n` +
      '  <div id="info">\n    <p>Using the URLconf defined in <code>config.urls</code>, Django tried these URL patterns, in this order:</p>\n' +
      `    <p>The current path, <code>${escapeHtml(path.replace(/^\//, ''))}</code>, didn’t match any of these.</p>\n  </div>\n` +
      '  <div id="explanation">\n    <p>You’re seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p>\n  </div>\n' +
      '</body>\n</html>\n'
    );
  }
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n' +
    '  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n'
  );
}

export function serverErrorPage(debug: boolean, path: string, excType: string, excValue: string): string {
  if (debug) {
    const short = excType.split('.').pop() ?? excType;
    return (
      '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta http-equiv="content-type" content="text/html; charset=utf-8">\n' +
      `  <meta name="robots" content="NONE,NOARCHIVE">\n  <title>${escapeHtml(short)}\n          at ${escapeHtml(path)}</title>\n</head>\n<body>\n` +
      `<div id="summary">\n  <h1>${escapeHtml(short)}\n       at ${escapeHtml(path)}</h1>\n` +
      `  <pre class="exception_value">${escapeHtml(excValue)}</pre>\n` +
      `  <table class="meta">\n    <tr><th scope="row">Exception Type:</th><td>${escapeHtml(short)}</td></tr>\n` +
      `    <tr><th scope="row">Exception Value:</th><td><pre>${escapeHtml(excValue)}</pre></td></tr>\n  </table>\n</div>\n` +
      '<div id="explanation">\n  <p>You’re seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p>\n</div>\n' +
      '</body>\n</html>\n'
    );
  }
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n' +
    '  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n'
  );
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#x27;');
}

/**
 * `response.set_cookie(...)` as Django renders it (Morsel attributes in sorted order):
 * `name=value; Domain=localhost; expires=…; HttpOnly; Max-Age=900; Path=/; SameSite=Lax[; Secure]`.
 */
export function djangoCookie(name: string, value: string, opts: { maxAge: number; domain: string; secure: boolean; now?: number }): string {
  const expires = new Date((opts.now ?? Date.now()) + opts.maxAge * 1000).toUTCString();
  const parts = [`${name}=${value}`, `Domain=${opts.domain}`, `expires=${expires}`, 'HttpOnly', `Max-Age=${opts.maxAge}`, 'Path=/', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

