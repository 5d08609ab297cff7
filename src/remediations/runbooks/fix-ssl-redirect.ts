/** R8 / F1 — the SSL-redirect loop (incident 2025-12-12): a code/deploy fix, never a button. */
import type { Runbook } from '../types';

export const fixSslRedirect: Runbook = {
  id: 'fix-ssl-redirect',
  title: 'Fix the HTTPS self-redirect',
  ref: 'target-system Remediations R8, §9 F1, §13',
  symptom: 'Plain-HTTP requests get 301 to the same URL on https: the request reached Django without `X-Forwarded-Proto: https`.',
  steps: [
    {
      text: 'Repeat the probe with `X-Forwarded-Proto: https`. 200 with it = the proxy does not send or forward the header: fix the proxy (ALB/CloudFront/nginx) to set it.',
      code: 'curl -sI -H "X-Forwarded-Proto: https" http://<backend>/api/v1/db/health/',
    },
    {
      text: '301 with the header too = the setting was removed: restore it in `config/settings.py`.',
      code: "SECURE_PROXY_SSL_HEADER = ('HTTP_X_FORWARDED_PROTO', 'https')",
    },
    {
      text: 'Emergency only: disable the redirect in the web task definition and deploy (HTTPS then relies on ALB 80→443 and HSTS).',
      code: 'SECURE_SSL_REDIRECT=False',
    },
  ],
  verify: ['db-health', 'ws-edge'],
};
