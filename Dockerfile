# syntax=docker/dockerfile:1
#
# One image for both Runway roles (docs/deploy.md):
#   API (default):  node dist/api/main.js     (or: runway api)
#   worker:         node dist/worker/main.js  (or: runway worker)
#   check:          runway check [--json]     (checks runway.yaml against the real systems)
# Production runs the JavaScript that `npm run build` compiles; TypeScript, tsx and the other development
# dependencies stay in the build stage.

# Node 22 LTS (Runway supports 22 and 24; Node 20 reached end of life in April 2026).
ARG NODE_VERSION=22

# ---- deps: production node_modules only (the runtime stage copies these). @temporalio/worker's
# webpack/swc bundler is a production dependency, so a worker can still bundle workflows/ itself.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- build: every dependency (typescript, tsx), then `npm run build`: tsc compiles the code both roles run
# into dist/ (tsconfig.build.json), and the workflows are webpacked once into dist/workflow-bundle.js so
# workers start fast and every replica runs byte-identical workflow code. Only dist/ leaves this stage.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev --no-audit --no-fund
# The code both roles run (keep in step with tsconfig.build.json; test/unit/compose.test.ts checks it).
COPY tsconfig.json tsconfig.build.json ./
COPY activities ./activities
COPY api ./api
COPY cli ./cli
COPY config ./config
COPY domain ./domain
COPY integrations ./integrations
COPY platform ./platform
COPY worker ./worker
COPY workflows ./workflows
COPY scripts/bundle-workflows.ts ./scripts/
RUN npm run build

# ---- runtime
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# git: the `git` infra driver shells out to it. tini: PID 1 that forwards signals and reaps git's children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 runway \
    && useradd --uid 10001 --gid runway --create-home --home-dir /home/runway --shell /usr/sbin/nologin runway \
    && mkdir -p /var/lib/runway /etc/runway \
    && chown runway:runway /var/lib/runway
WORKDIR /app
# Code stays root-owned (read-only for the runway user); /app/.data, the default git cache location,
# points at the writable data directory so a runway.yaml without git.cacheDir still works.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN ln -s /var/lib/runway /app/.data
COPY scripts/runway.sh /usr/local/bin/runway

ENV NODE_ENV=production \
    RUNWAY_CONFIG=/etc/runway/runway.yaml \
    RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js \
    RUNWAY_HEALTH_URL=http://127.0.0.1:8080/healthz
USER 10001:10001
# 8080: API (server.port in runway.yaml). 9464: worker /healthz and /metrics (RUNWAY_METRICS_PORT).
EXPOSE 8080 9464

# Same probe for both roles: the worker sets RUNWAY_HEALTH_URL to its own /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch(process.env.RUNWAY_HEALTH_URL,{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/api/main.js"]
