#!/usr/bin/env bash
# The whole test suite: install what is missing, then typecheck, lint and run every test
# (unit tests beside the code, cross-package and end-to-end tests in test/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
echo "[test] typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json
echo "[test] lint (biome, no cycles, stages through their index.ts)"
npm run -s lint
echo "[test] vitest"
# Every test removes the temp dirs it made: what is in /tmp now may be there after, nothing more.
tmp_before="$(ls -A /tmp | grep '^cnbkit-' | sort || true)"
report="$(mktemp -d)/vitest.json"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line, whatever the runner printed above it.
if [ -f "$report" ]; then
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));' "$report"
  rm -rf "$(dirname "$report")"
fi
left="$(comm -13 <(printf '%s\n' "$tmp_before") <(ls -A /tmp | grep '^cnbkit-' | sort || true) | grep . || true)"
if [ -n "$left" ]; then
  echo "error: the test run left $(wc -l <<<"$left") new /tmp/cnbkit-* entries: $(tr '\n' ' ' <<<"$left")" >&2
  echo "  each test must remove what it made (onTestFinished, afterAll, removeTempDirs()); run the file alone and compare ls /tmp" >&2
  [ "$status" != 0 ] || status=1
fi
exit "$status"
