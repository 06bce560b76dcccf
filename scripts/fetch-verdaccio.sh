#!/usr/bin/env bash
# Installs Verdaccio (a private npm registry) into ~/.cache/cnbkit/verdaccio/<version>.
# Only test/packages/registry.test.ts uses it: it publishes the project's packages to a
# Verdaccio on 127.0.0.1 and installs them from there as a user would. Kept out of the root
# devDependencies: its ~400 packages would be in every `npm ci` and in the lockfile that
# the buildpacks' and the CLI's audits read, for one test.
set -euo pipefail

VERDACCIO_VERSION="${CNBKIT_VERDACCIO_VERSION:-6.8.0}"
CACHE="${CNBKIT_CACHE:-$HOME/.cache/cnbkit}"
dir="$CACHE/verdaccio/$VERDACCIO_VERSION"
[ -f "$dir/node_modules/verdaccio/package.json" ] && exit 0

printf '[setup] npm install verdaccio@%s (first run only)\n' "$VERDACCIO_VERSION"
mkdir -p "$CACHE/verdaccio"
tmp="$(mktemp -d "$CACHE/verdaccio/.install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# verdaccio-audit asks for node-fetch@cjs, a dist-tag the registry this machine reaches does
# not carry; 2.7.0 is the CommonJS line that tag named.
echo '{"private":true,"overrides":{"node-fetch":"2.7.0"}}' >"$tmp/package.json"
(cd "$tmp" && npm install --no-audit --no-fund --loglevel=error --save-exact "verdaccio@$VERDACCIO_VERSION")
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
