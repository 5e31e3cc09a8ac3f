#!/usr/bin/env bash
# All benchmarks, each printing Berth's figures beside its peer's from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
node --import tsx bench/scheduler.ts "$@"
node --import tsx bench/dispatch.ts
node --import tsx bench/converge.ts
node --import tsx bench/rolling-update.ts
node --import tsx bench/registry.ts
node --import tsx bench/store.ts
node --import tsx bench/rbac.ts
node --import tsx bench/exec.ts
node --import tsx bench/portal.ts
# Test hosts (network namespaces, root): a cluster of each kind on the same hosts and engines.
node --import tsx bench/node-loss.ts
node --import tsx bench/join.ts
node --import tsx bench/overlay.ts
node --import tsx bench/failover.ts
