#!/usr/bin/env node
// The `cnbkit` bin: runs the bundled CLI in dist/. It is committed, unlike dist/, because npm
// links a bin only when its file exists at install time, and in a checkout `npm ci` runs
// before the CLI is built: with the bin pointing at dist/ itself, `npx cnbkit` then answered
// "could not determine executable to run".
import { existsSync } from "node:fs";

const cli = new URL("../dist/cnbkit.mjs", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    `error: the cnbkit CLI is not built (no ${cli.pathname})\n  run 'npm run build' (or 'npm run setup') in the cnbkit checkout\n`,
  );
  process.exit(1);
}
await import(cli.href);
