#!/usr/bin/env bash
# The whole test suite: install what is missing, then typecheck, lint and run every test
# (unit tests beside the code, cross-package and end-to-end tests in test/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# --tests: the main job's setup plus what only the tests use (pack, cosign, Verdaccio, the
# referrers registry, qemu and the other arch's lifecycle, the test Debian packages).
bash scripts/setup.sh --tests

# The base images the tests need, made in the background while typecheck, lint and the test
# files that need none run (vitest runs those first: test/support/base-images-last-sequencer.ts).
# A fresh machine spends ~5 min of debootstrap on this machine's images and ~7 min on the other
# arch's slim ones under qemu; a warm one finds them cached in a second. Tests that need them
# wait on the cache lock; if a warm-up fails, the first test that needs its images makes them
# itself. Only for the whole suite: a run of a few files should not pay for images it may not use.
warm_dir="$(mktemp -d)"
warm_pids=()
warm_names=()
warm() { # <name> <base create args...>: one `cnbkit base create` in its own process group
  local name="$1"
  shift
  setsid node builder-packager/dist/cnbkit.mjs base create "$@" >"$warm_dir/$name.log" 2>&1 &
  warm_pids+=("$!")
  warm_names+=("$name")
}
stop_warm() {
  for pid in "${warm_pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  rm -rf "$warm_dir"
}
trap stop_warm EXIT
if [ "$#" -eq 0 ]; then
  warm host
  warm bookworm --debian 12 --flavor slim # images.test.ts checks that Debian 12 still works
  case "$(dpkg --print-architecture)" in
    amd64) warm arm64 --arch arm64 --flavor slim ;;
    arm64) warm amd64 --arch amd64 --flavor slim ;;
  esac
  echo "[test] base images: made in the background (logs in $warm_dir)"
fi

echo "[test] typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit -p tsconfig.json
echo "[test] lint (biome; dependency rules: no cycles, stages through their index.ts, buildpacks use only the framework; the architecture doc's stage table against the imports)"
npm run -s lint
echo "[test] vitest"
# Every test removes the temp dirs it made: what is in /tmp now may be there after, nothing more.
tmp_before="$(ls -A /tmp | grep '^cnbkit-' | sort || true)"
report="$(mktemp -d)/vitest.json"
status=0
npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# The warm-ups are done when every test that needs them has run; one that failed is worth a line.
for i in "${!warm_pids[@]}"; do
  kill -0 "${warm_pids[$i]}" 2>/dev/null && kill -- "-${warm_pids[$i]}" 2>/dev/null && continue
  wait "${warm_pids[$i]}" ||
    echo "[test] note: the background base create (${warm_names[$i]}) failed, so the tests made those images themselves: $(tail -n 1 "$warm_dir/${warm_names[$i]}.log")"
done
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
