# syntax=docker/dockerfile:1
# drive-s3-supervisor: build with the toolchain, run with production dependencies and dist/ only.
#   docker build -t drive-s3-supervisor .
#   docker run --rm drive-s3-supervisor --help
# Pin NODE_VERSION (or the image digest) in CI so rebuilds are reproducible; 22 is the current LTS line.
ARG NODE_VERSION=22

# ---- build: dev dependencies, the TypeScript compiler and a C++ toolchain for better-sqlite3's addon
FROM node:${NODE_VERSION}-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp compiles against the headers shipped in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
# --ignore-scripts: the root `prepare` script runs tsc, and the sources are not here yet (copying them
# first would throw away this cached layer on every source change). Then only better-sqlite3's install
# script runs: it fetches a prebuilt addon for this Node ABI or compiles one with the toolchain above.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
# After the build, drop the dev dependencies (tsc included) and the addon's C sources and object files:
# only node_modules/better-sqlite3/build/Release/better_sqlite3.node is loaded at run time.
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
           node_modules/better-sqlite3/build/Release/obj.target node_modules/better-sqlite3/build/Release/.deps \
           node_modules/better-sqlite3/build/deps

# ---- runtime: production dependencies, dist/, tini, an unprivileged user
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# tini is PID 1: it reaps zombies and, with -g, forwards SIGTERM to the whole process group, so the
# supervisor and its children all hear it and checkpoint (exit 143, resumable) before the kubelet's SIGKILL.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 supervisor \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin supervisor \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
ENV NODE_ENV=production \
    SUPERVISOR_STATE=/data/journal.db
# package.json carries "type": "module", which the compiled ESM in dist/ needs at run time.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Numeric uid:gid so Kubernetes' runAsNonRoot can verify the user without reading /etc/passwd.
USER 10001:10001
# No HEALTHCHECK: the health endpoints exist only when --metrics-port is set, and Kubernetes ignores
# HEALTHCHECK anyway (k8s/job.yaml probes /healthz and /readyz instead).
# The supervisor's own heap flags (src/cli/node-flags.ts says why); the children get theirs from it.
ENTRYPOINT ["tini", "-g", "--", "node", "--max-old-space-size=128", "--max-semi-space-size=2", "/app/dist/src/cli/main.js"]
CMD ["run"]
