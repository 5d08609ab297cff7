#!/usr/bin/env bash
# The smoke subset of the suite on Node 24, the LTS the container image ships (this machine's Node is 20):
# every unit test plus the integration tests of the parts most sensitive to the runtime (HTTP, WebSocket,
# Redis, Slack over both transports). Node 24 comes from the npm registry (scripts/node24.sh).
# Not here: the tests that open the embedded state store (doctor, telemetry): node_modules holds better-sqlite3
# built for the machine's Node 20, which Node 24 cannot load (ERR_DLOPEN_FAILED). The image build compiles it for
# Node 24 and `npm run test:image` runs the bot, its store and `status` on that Node.
set -euo pipefail
cd "$(dirname "$0")/.."
node24="$(bash scripts/node24.sh)"
echo "test:node24: $("$node24" --version)"
PATH="$(dirname "$node24"):$PATH" exec "$node24" node_modules/jest/bin/jest.js \
  test/unit test/integration/slack-http.test.ts test/integration/slack-socket.test.ts "$@"
