#!/usr/bin/env bash
# Installs everything Berth and its tests need on Debian 12 with Node 20: the container engine
# (Podman + runc), busybox for offline test images, skopeo, the docker CLI if absent, Docker
# Engine for the Swarm benchmark peer, npm packages, and builds the TypeScript. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in podman runc busybox-static skopeo; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# docker.io gives dockerd (the Swarm-mode peer in bench/) and a docker CLI where none exists.
if [ "${BERTH_SETUP_DOCKERD:-1}" = 1 ] && ! command -v dockerd >/dev/null 2>&1; then need+=(docker.io); fi
if ! command -v docker >/dev/null 2>&1; then need+=(docker.io); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
echo "setup: building"
npx tsc -p .
