#!/usr/bin/env bash
# The smoke subset of the suite on Node 24, the LTS the container image ships (this machine's Node is 20):
# every unit test plus the integration tests of the parts most sensitive to the runtime (HTTP, WebSocket,
# Redis, Slack over both transports, the ops endpoints). Node 24 comes from the npm registry (scripts/node24.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
node24="$(bash scripts/node24.sh)"
echo "test:node24: $("$node24" --version)"
PATH="$(dirname "$node24"):$PATH" exec "$node24" node_modules/jest/bin/jest.js \
  test/unit test/integration/doctor.test.ts test/integration/slack-http.test.ts test/integration/slack-socket.test.ts \
  test/integration/telemetry.test.ts "$@"
