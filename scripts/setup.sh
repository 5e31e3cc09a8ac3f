#!/usr/bin/env bash
# Installs everything Berth and its tests need on Debian 12 with Node 20: the container engine
# (Podman + runc, netavark and aardvark-dns for networks), busybox for offline test images,
# skopeo, Docker Engine (the docker CLI the end-to-end tests drive, dockerd for the registry's
# Docker push/pull test and the Swarm peer of the benchmarks), Debian's docker-registry
# (distribution 2.8: a real peer registry for tests and the benchmark), npm packages, and builds
# the TypeScript.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# netavark and aardvark-dns give Podman its bridge networks and their DNS (service names on
# Berth networks); Debian's podman only pulls them in through recommends (containers-common).
# docker-registry (CNCF distribution 2.8) and apache2-utils (htpasswd) give the pull and
# replication tests a real registry that requires a login, and the registry benchmark its peer.
# They run their own instances, so the package's service (on :5000, Berth's registry port) is
# switched off.
# iproute2 and nftables (Debian "important", absent from minimal images) make the test hosts'
# namespaces, bridge and rules (test/helpers/hosts, docs/testing.md); tcpdump captures what
# crosses between them (the secret-on-the-wire and encrypted-overlay tests); wrk drives the
# overlay benchmark (bench/overlay.ts); wireguard-go and wireguard-tools make the tunnel encrypted
# overlays run in where the kernel has no WireGuard (docs/networking.md). etcd-server is the
# distributed store managers can run on (docs/store.md); the tests start their own members.
# openssl makes the certificates of the TLS-only etcd test and the access benchmark; curl is a
# client without a certificate inside a test host (a login through a follower, ha-hosts).
# chromium is the real browser the portal's tests drive (playwright-core cannot download one).
for pkg in podman runc netavark aardvark-dns busybox-static skopeo docker-registry apache2-utils iproute2 nftables tcpdump wrk wireguard-go wireguard-tools etcd-server etcd-client openssl curl chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
# docker.io gives a docker CLI where none exists (the end-to-end tests drive Berth with it) and
# dockerd: the registry's Docker Engine push/pull test and the benchmarks' Swarm-mode peer run
# their own instances of it.
if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1; then
  need+=(docker.io)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${need[*]}" >&2; exit 1; fi
  echo "setup: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  # Tests and benchmarks start their own registries and dockerd; the packages' services would
  # take :5000 (Berth's registry port) and the default Docker socket.
  stop_service() {
    if [ -d /run/systemd/system ]; then systemctl disable --now "$1.service" >/dev/null 2>&1 || true
    else "/etc/init.d/$1" stop >/dev/null 2>&1 || true; fi
  }
  if [[ " ${need[*]} " == *" docker-registry "* ]]; then stop_service docker-registry; fi
  if [[ " ${need[*]} " == *" docker.io "* ]]; then stop_service docker; fi
  if [[ " ${need[*]} " == *" etcd-server "* ]]; then stop_service etcd; fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
echo "setup: building"
npx tsc -p .
# The web portal (portal/): type-checked, then bundled by Vite into dist/ui, which the manager serves.
npx tsc -p portal
npx vite build --config portal/vite.config.ts --logLevel warn
