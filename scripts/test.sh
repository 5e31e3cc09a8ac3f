#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint (incl. the import graph), then unit,
# integration and end-to-end tests on the real engine and the real docker CLI; then the unit
# and store-level integration tests that open a store, again with the store on etcd.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== lint"
npx eslint src test bench portal/src
echo "== tests"
unit=$(find src portal/src -name '*.test.ts' | sort)
integration=$(find test/integration test/e2e -name '*.test.ts' 2>/dev/null | sort)
# One file at a time: integration tests share one engine and 2 cores.
node --import tsx --test --test-concurrency=1 --test-reporter=spec $unit $integration
echo "== unit tests on etcd"
# openTestStore (test/helpers/store.ts) then puts each store on a fresh prefix of an etcd member.
# Only files that open one (directly, or through testApi or startDispatcher): the others would run
# exactly as above. Integration files that do so without the engine are named here.
onstore=$(grep -lE 'openTestStore|testApi\(|startDispatcher\(' $unit test/integration/openapi.test.ts)
BERTH_TEST_STORE=etcd node --import tsx --test --test-concurrency=1 --test-reporter=spec $onstore
