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
report="$(mktemp -d)/vitest.json"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line, whatever the runner printed above it.
if [ -f "$report" ]; then
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));' "$report"
  rm -rf "$(dirname "$report")"
fi
exit "$status"
