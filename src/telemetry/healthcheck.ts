/**
 * The container's HEALTHCHECK: `node dist/telemetry/healthcheck.js` exits 0 when `/healthz` answers 200 on the
 * ops port (`WS_DOCTOR_METRICS_PORT`, default 9464), 1 otherwise. Plain Node, no curl in the image.
 */
import { DEFAULT_METRICS_PORT } from './ports';

const port = Number(process.env.WS_DOCTOR_METRICS_PORT || DEFAULT_METRICS_PORT);
fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4000) }).then(
  (res) => process.exit(res.status === 200 ? 0 : 1),
  (err: Error) => {
    process.stderr.write(`healthz on port ${port}: ${err.message}\n`);
    process.exit(1);
  },
);
