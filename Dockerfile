# ws-doctor: build the TypeScript once, ship the compiled bot, its production dependencies and the Node binary
# on a plain Debian slim base (no npm, no yarn, no compiler in the final image).
#
#   docker build -t ws-doctor .
#   docker run --rm ws-doctor --help
#
# BASE is an official Node LTS image (it carries node, npm and the Node headers a native module builds against);
# RUNTIME is the Debian release that image is made from. Both are arguments so the image also builds where no
# registry can be pulled: scripts/image/bases.sh makes local equivalents (see the README, "Container image").
ARG BASE=node:24-bookworm-slim
ARG RUNTIME=debian:bookworm-slim

FROM ${BASE} AS build
# This network's TLS may be re-signed by a local CA: pass its bundle so npm trusts it (empty = Node's own store).
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are not needed to compile TypeScript.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The bin (dist/cli.js) is one esbuild bundle behind a code-cache loader, warmed here (scripts/bundle.js).
COPY scripts/bundle.js scripts/cli-loader.js ./scripts/
RUN npm run build

FROM ${BASE} AS deps
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts run (a dependency's script could do anything at build time). The one native module that
# needs its binary, better-sqlite3 (the embedded state store), is compiled here from its bundled SQLite
# source against this Node's own headers, so no prebuilt download is needed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && if [ -d node_modules/better-sqlite3 ]; then \
      apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null \
      && npm_config_nodedir=/usr/local npm rebuild better-sqlite3 --build-from-source \
      && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
      && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"; \
    fi \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete \
 && rm -rf node_modules/@types \
 && npm cache clean --force

FROM ${RUNTIME}
ARG VERSION=0.1.0
# The Node binary only (no npm): the same one the build stages used, so native modules match its ABI.
COPY --from=build /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /usr/sbin/nologin --create-home node \
 && mkdir -p /app/.ws-doctor && chown node:node /app/.ws-doctor
WORKDIR /app
ENV NODE_ENV=production \
    WS_DOCTOR_METRICS_PORT=9464
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json manifest.yml manifest.http.yml ./
# `docker exec <container> ws-doctor status` (answered by the running bot over its socket: README, "Status from a
# running bot"): the bin by its shebang, as npm would link it.
RUN ln -s /app/dist/cli.js /usr/local/bin/ws-doctor
# History and other bot state live here (mount a volume to keep them across restarts).
VOLUME ["/app/.ws-doctor"]
# Reading the Docker socket needs the socket's group: run with `--group-add $(stat -c %g /var/run/docker.sock)`,
# or better, point docker.host at a socket proxy (README, "Compose").
USER node
# 3000: Slack HTTP mode (slack.port / PORT); Socket Mode needs no inbound port. 9464: /metrics, /healthz, /readyz.
EXPOSE 3000 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/telemetry/healthcheck.js"]
LABEL org.opencontainers.image.title="ws-doctor" \
      org.opencontainers.image.description="Slack chat-ops bot that diagnoses and repairs the AllThrive AI WebSocket stack" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
# A 2 MB young generation (V8's default grows to 16 MB per semi-space): an idle bot then sits at ~95 MB RSS
# instead of ~113 MB in HTTP mode (npm run bench -- rss measures with these same flags, read from this line).
# A chat bot's bursts are small; the extra scavenges cost well under a millisecond each.
ENTRYPOINT ["node", "--max-semi-space-size=2", "dist/cli.js"]
CMD ["start"]
