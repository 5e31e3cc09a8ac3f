#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint (incl. the import graph), then unit,
# integration and end-to-end tests on the real engine and the real docker CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint"
npx eslint src test bench
echo "== tests"
unit=$(find src -name '*.test.ts' | sort)
integration=$(find test/integration test/e2e -name '*.test.ts' 2>/dev/null | sort)
# One file at a time: integration tests share one engine and 2 cores.
node --import tsx --test --test-concurrency=1 --test-reporter=spec $unit $integration
