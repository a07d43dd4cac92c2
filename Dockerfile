# drive-s3-supervisor: build with the toolchain, run with the bundles and the one native addon.
#   docker build -t drive-s3-supervisor .
#   docker run --rm --read-only --tmpfs /tmp drive-s3-supervisor demo
# No `# syntax=` line and no RUN --mount: the Dockerfile frontend built into the engine and the classic
# builder both take this file, and nothing is pulled but the base image (docs/container.md says why).
# Behind a TLS-inspecting proxy put its CA bundle at ./extra-ca.pem (git ignores it): the build stage
# trusts it for npm and apt; the runtime stage never sees it.
# Pin NODE_VERSION (or the image digest) in CI so rebuilds are reproducible; 22 is the current LTS line.
ARG NODE_VERSION=22

# ---- build: dev dependencies, the TypeScript compiler and a C++ toolchain for better-sqlite3's addon
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# The glob matches nothing when there is no extra-ca.pem; package.json keeps the COPY from being empty.
COPY package.json package-lock.json extra-ca.pe[m] ./
RUN if [ -s extra-ca.pem ]; then \
      mv extra-ca.pem /etc/extra-ca.pem \
      && echo 'Acquire::https::CaInfo "/etc/extra-ca.pem";' >/etc/apt/apt.conf.d/99extra-ca \
      && npm config --location=global set cafile=/etc/extra-ca.pem; \
    fi \
 && apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ tini \
 && rm -rf /var/lib/apt/lists/*
# node-gyp compiles against the headers shipped in the image instead of downloading them.
ENV npm_config_nodedir=/usr/local
# --ignore-scripts: the root `prepare` script builds, and the sources are not here yet (copying them first
# would throw away this cached layer on every source change). Then only better-sqlite3's install script
# runs: it tries a prebuilt addon for this Node ABI, else compiles one with the toolchain above.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY build ./build
COPY src ./src
# The runtime needs the bundles (dist/src/bundle*) and better-sqlite3's addon with the two packages that
# find it: everything else the bundles carry inside them.
RUN npm run build \
 && mkdir -p /out/node_modules/better-sqlite3/build/Release /out/dist/src \
 && cp -r dist/src/bundle dist/src/bundle-supervisor /out/dist/src/ \
 && cp -r node_modules/better-sqlite3/lib node_modules/better-sqlite3/package.json node_modules/better-sqlite3/LICENSE /out/node_modules/better-sqlite3/ \
 && cp node_modules/better-sqlite3/build/Release/better_sqlite3.node /out/node_modules/better-sqlite3/build/Release/ \
 && cp -r node_modules/bindings node_modules/file-uri-to-path /out/node_modules/ \
 && cp package.json /out/ \
 && cp /usr/bin/tini-static /out/tini

# ---- runtime: the bundles, the addon, a static tini, an unprivileged user. No apt, no npm here.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN groupadd --system --gid 10001 supervisor \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin supervisor \
 && mkdir -p /data \
 && chown 10001:10001 /data \
 && chmod 0700 /data
WORKDIR /app
ENV NODE_ENV=production \
    SUPERVISOR_STATE=/data/journal.db
# tini is PID 1: it reaps zombies and, with -g, forwards SIGTERM to the whole process group, so the
# supervisor and its children all hear it and checkpoint (exit 143, resumable) before the kubelet's SIGKILL.
COPY --from=build /out/tini /usr/local/bin/tini
# package.json carries "type": "module", which the bundles (ES modules) need at run time.
COPY --from=build /out/package.json ./package.json
COPY --from=build /out/node_modules ./node_modules
COPY --from=build /out/dist ./dist
# Numeric uid:gid so Kubernetes' runAsNonRoot can verify the user without reading /etc/passwd.
USER 10001:10001
# No HEALTHCHECK: the health endpoints exist only when --metrics-port is set, and Kubernetes ignores
# HEALTHCHECK anyway (k8s/job.yaml probes /healthz and /readyz instead).
# The supervisor's own heap flags (src/cli/node-flags.ts says why); the children get theirs from it.
ENTRYPOINT ["tini", "-g", "--", "node", "--max-old-space-size=128", "--max-semi-space-size=2", "/app/dist/src/bundle-supervisor/main.js"]
CMD ["run"]
