#!/usr/bin/env bash
# Makes this machine able to run ws-doctor's demo or its tests, installing only what is missing:
#   bash scripts/setup.sh demo   what `npm run demo` needs (called by it)
#   bash scripts/setup.sh test   what `npm test` needs: the demo's packages plus the test peers (called by it)
#   bash scripts/setup.sh bench  what `npm run bench` needs: the test peers plus hyperfine (called by it)
#   bash scripts/setup.sh        everything (`npm run setup`)
#   bash scripts/setup.sh screenshots  the demo's packages plus a browser and fonts (`npm run screenshots`)
#   bash scripts/setup.sh modules  only the node modules (`npm start`)
# When everything is present it prints nothing and costs a few milliseconds (bash builtins and one sha1sum),
# so the npm scripts run it every time. System packages come from apt-get (Debian/Ubuntu; root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

# The system packages, one per line: <who needs it> <Debian package> <probe>.
#   who: `demo` (npm run demo, and so npm test and screenshots too), `test` (npm test, and npm run bench),
#   `bench` (npm run bench only) or `screenshots`.
#   probe: a command looked up on PATH, or an absolute path the package installs (for programs in /usr/sbin,
#   which a non-root PATH lacks, and for Python modules). Present probe = nothing to install.
# To add a peer your tests need: one line here.
# g++, make and python3 build better-sqlite3 (the embedded state store) where no prebuilt binary can be fetched.
PACKAGES='
demo g++            g++
demo make           make
demo python3        python3
demo redis-server   redis-server
demo prometheus     prometheus
demo fonts-dejavu-core /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
test podman         podman
test runc           /usr/sbin/runc
test busybox-static /bin/busybox
test debootstrap    /usr/sbin/debootstrap
test tmux           tmux
test python3-daphne                       /usr/lib/python3/dist-packages/daphne
test python3-django-channels              /usr/lib/python3/dist-packages/channels
test python3-channels-redis               /usr/lib/python3/dist-packages/channels_redis
test python3-django                       /usr/lib/python3/dist-packages/django
test python3-djangorestframework          /usr/lib/python3/dist-packages/rest_framework
test python3-redis                        /usr/lib/python3/dist-packages/redis
test python3-djangorestframework-simplejwt /usr/lib/python3/dist-packages/rest_framework_simplejwt
test python3-django-prometheus            /usr/lib/python3/dist-packages/django_prometheus
bench hyperfine     hyperfine
screenshots chromium               chromium
screenshots fonts-lato             /usr/share/fonts/truetype/lato/Lato-Regular.ttf
screenshots fonts-noto-color-emoji /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
'

want="${1:-all}"
case "$want" in
  demo | test | bench | screenshots | all | modules) ;;
  *)
    echo "setup: unknown target '$want' (expected demo, test, bench, screenshots, all or modules)" >&2
    exit 2
    ;;
esac

present() { # probe
  if [[ "$1" == /* ]]; then [ -e "$1" ]; else command -v "$1" >/dev/null 2>&1; fi
}

need=()
if [ "$want" != modules ]; then
  while read -r who pkg probe; do
    [ -n "${who:-}" ] || continue
    [ "$who" = demo ] || [ "$who" = "$want" ] || [ "$want" = all ] || { [ "$who" = test ] && [ "$want" = bench ]; } || continue
    present "$probe" || need+=("$pkg")
  done <<<"$PACKAGES"
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${need[*]}; this machine has no apt-get: install them with its package manager" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup: missing ${need[*]}; as root run: apt-get update && apt-get install -y ${need[*]}" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  echo "setup: installing ${need[*]} with apt-get (once)" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Node modules: reinstalled from the lock file when absent or when the lock file changed since the last install
# (node_modules/.lockhash holds the hash of the lock file they were installed from).
lockhash() { sha1sum package-lock.json | cut -d' ' -f1; }
if [ ! -f node_modules/.lockhash ] || [ "$(<node_modules/.lockhash)" != "$(lockhash)" ]; then
  if [ ! -f node_modules/.lockhash ] && [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    : # installed by hand (`npm ci`) after the lock file last changed: trust it and remember its hash
  else
    echo "setup: installing node modules from package-lock.json (npm ci)" >&2
    npm ci --no-audit --no-fund >&2
  fi
  lockhash >node_modules/.lockhash
fi

# The package's bin, dist/cli.js (two bundled files + their code caches, scripts/bundle.js, ~1 s): built when missing
# or older than the sources, so `ws-doctor` works on a fresh clone after `npm run demo` or `npm test`.
bundle=dist/ws-doctor.core.js
if [ -f scripts/bundle.js ] && { [ ! -f dist/cli.js ]  || [ ! -f "$bundle" ] || [ -n "$(find src scripts/bundle.js scripts/cli-loader.js package-lock.json -newer "$bundle" -print -quit)" ]; }; then
  node scripts/bundle.js
fi
