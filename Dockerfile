# ws-doctor: build the TypeScript once, ship only the compiled bot and its production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY manifest.yml manifest.http.yml ./
# History and other bot state live here (mount a volume to keep them across restarts).
RUN mkdir -p /app/.ws-doctor && chown node:node /app/.ws-doctor
VOLUME ["/app/.ws-doctor"]
# Reading the Docker socket needs the socket's group: run with `--group-add $(stat -c %g /var/run/docker.sock)`.
USER node
# HTTP mode listens here (slack.port / PORT); Socket Mode needs no inbound port.
EXPOSE 3000
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
