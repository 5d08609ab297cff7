#!/usr/bin/env bash
# One-time setup on a fresh Debian/Ubuntu machine: the system programs ws-doctor's demo and tests run for real
# (redis-server for the demo stack; prometheus, podman, runc, busybox-static and the Channels peer's python3-*
# packages for the tests), then the node modules from the lock file. Installs only what is missing; needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v prometheus >/dev/null || need+=(prometheus)
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || need+=(runc)
[ -x /bin/busybox ] || need+=(busybox-static)
# The Channels peer of the tests (test/peers/channels-app, served by Debian's Daphne): checked by import with
# Debian's own interpreter, since a pyenv/venv python3 on PATH does not see Debian's dist-packages.
for pair in daphne:python3-daphne channels:python3-django-channels channels_redis:python3-channels-redis \
  django:python3-django rest_framework:python3-djangorestframework redis:python3-redis \
  rest_framework_simplejwt:python3-djangorestframework-simplejwt django_prometheus:python3-django-prometheus; do
  /usr/bin/python3 -c "import ${pair%%:*}" 2>/dev/null || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
