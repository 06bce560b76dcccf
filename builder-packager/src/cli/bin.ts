/** Executable entry of the `cnbkit` CLI (bundled to dist/cnbkit.mjs by `npm run build`). */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
