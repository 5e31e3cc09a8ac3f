#!/usr/bin/env bash
# Installs everything Berth and its tests need on Debian 12 with Node 20: the container engine
# (Podman + runc, netavark and aardvark-dns for networks), busybox for offline test images,
# skopeo, the docker CLI if absent (and Docker Engine for the benchmarks' Swarm peer when asked),
# npm packages, and builds the TypeScript.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# netavark and aardvark-dns give Podman its bridge networks and their DNS (service names on
# Berth networks); Debian's podman only pulls them in through recommends (containers-common).
# docker-registry (distribution 2.8) is the "any v2 registry" replication tests copy to.
for pkg in podman runc netavark aardvark-dns busybox-static skopeo docker-registry; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# docker.io gives a docker CLI where none exists (the end-to-end tests drive Berth with it) and
# dockerd, the Swarm-mode peer the benchmarks start (BERTH_SETUP_DOCKERD=1, set by bench/run.sh).
if ! command -v docker >/dev/null 2>&1 || { [ "${BERTH_SETUP_DOCKERD:-0}" = 1 ] && ! command -v dockerd >/dev/null 2>&1; }; then
  need+=(docker.io)
fi
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
