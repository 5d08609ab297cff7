/** R10 / F7 — handshakes rejected for their Origin: the allowed origins are configuration, then a web restart. */
import type { Runbook } from '../types';

export const fixOrigins: Runbook = {
  id: 'fix-origins',
  title: "Allow the front end's Origin",
  ref: 'target-system Remediations R10, §9 F7',
  symptom: 'The chat consumer logs `WebSocket rejected - unauthorized origin` and answers 403 at the handshake.',
  steps: [
    {
      text: 'Add the exact browser origin (scheme, host and port) to `CORS_ALLOWED_ORIGINS` — local: `.env` (python-decouple); prod: the web task environment.',
      code: 'CORS_ALLOWED_ORIGINS=http://localhost:3000,http://127.0.0.1:3000',
    },
    { text: 'Restart web so the setting is read (`/ws remediate restart-backend`). This also changes HTTP CORS.' },
  ],
  verify: ['chat-handshake', 'backend-logs'],
};
