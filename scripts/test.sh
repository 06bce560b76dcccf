#!/usr/bin/env bash
# The whole test suite: install what is missing, then typecheck, lint and run every test
# (unit tests beside the code, cross-package and end-to-end tests in test/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
echo "[test] typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json
echo "[test] lint (biome)"
npx --no-install biome check .
echo "[test] vitest"
npx --no-install vitest run "$@"
