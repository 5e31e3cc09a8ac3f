#!/usr/bin/env bash
# Quick start: set up this machine, then run Berth in the foreground with a demo service.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/berth.js up --demo "$@"
