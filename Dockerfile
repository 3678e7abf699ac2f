# litecast: one image for the API, the workers and the sandbox (the command picks the role).
# Stage 1 compiles TypeScript with the dev dependencies; stage 2 holds only the compiled dist/
# and the production dependencies, so no compiler runs when a process starts.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts wait: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY --from=build /app/dist ./dist
# `prepare` finds no TypeScript here and keeps the dist/ built above.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The files stay root-owned: the service user can run them, not change them.
USER node
# The API's liveness; the worker and sandbox services turn this off in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LITECAST_API_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/litecast.js"]
CMD ["--help"]
