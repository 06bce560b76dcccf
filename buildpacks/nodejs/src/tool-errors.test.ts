import { readFileSync } from "node:fs";
import { createLogger } from "@cnbkit/framework/log";
import { runTool } from "@cnbkit/framework/process";
import { expect, test } from "vitest";
import { skippedDownloads } from "./steps/tool-environment.js";
import { errorLine, explainNodeTool } from "./tool-errors.js";

test("the telling line of npm's, yarn's and pnpm's failures", () => {
  expect(errorLine("npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\n")).toBe(
    "ERESOLVE unable to resolve dependency tree",
  );
  expect(errorLine('error An unexpected error occurred: "x".\ninfo Visit')).toBe('An unexpected error occurred: "x".');
  expect(errorLine(" ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile")).toBe(
    "Cannot install with frozen-lockfile",
  );
  expect(errorLine("all fine\n")).toBeUndefined();
});

test("runTool with explainNodeTool names npm's error, not its last line", async () => {
  const log = createLogger({ sink: () => {}, color: false });
  const script =
    "echo 'npm error code E404'; echo 'npm error 404 Not Found - GET x'; echo 'npm error A complete log'; exit 1";
  const err = await runTool(["sh", "-c", script], {
    cwd: "/",
    env: { PATH: process.env.PATH },
    log,
    explain: explainNodeTool,
  }).catch((e: Error) => e);
  expect((err as Error).message).toBe(`"sh -c ${script}" failed (exit 1): 404 Not Found - GET x`);
});

test("next build that cannot fetch a Google font: the line names the font and the fix, not Turbopack's count", () => {
  // As next 16's Turbopack prints it (vercel/next-app-router-playground, next/font/google's Geist).
  const output = [
    "> next build",
    "   ▲ Next.js 16.2.1-canary.34 (Turbopack)",
    "   Creating an optimized production build ...",
    "Error: Turbopack build failed with 2 errors:",
    "[next]/internal/font/google/geist_a71539c9.module.css",
    "next/font: error:",
    "Failed to fetch `Geist` from Google Fonts.",
    "[next]/internal/font/google/geist_mono_8d43a2aa.module.css",
    "next/font: error:",
    "Failed to fetch `Geist Mono` from Google Fonts.",
    " ELIFECYCLE  Command failed with exit code 1.",
  ].join("\n");
  expect(explainNodeTool({ command: ["pnpm", "run", "build"], status: "exit 1", output })).toBe(
    "next/font/google could not fetch `Geist` from Google Fonts during the build (the build cannot reach fonts.googleapis.com): self-host the font with next/font/local, or build where Google Fonts is reachable",
  );
  expect(explainNodeTool({ command: ["pnpm", "run", "build"], status: "exit 1", output: "Error: boom\n" })).toBe(
    "Error: boom",
  );
});

test("an install script that cannot reach its download host: the line names the package and the host, not ELIFECYCLE", () => {
  // As pnpm 9 printed it for antfu/vitesse when download.cypress.io was out of reach.
  const output = [
    "node_modules/.pnpm/cypress@13.6.1/node_modules/cypress postinstall$ node index.js --exec install",
    "node_modules/.pnpm/cypress@13.6.1/node_modules/cypress postinstall: The Cypress App could not be downloaded.",
    "node_modules/.pnpm/cypress@13.6.1/node_modules/cypress postinstall: Error: getaddrinfo ENOTFOUND download.cypress.io",
    "node_modules/.pnpm/cypress@13.6.1/node_modules/cypress postinstall: Failed",
    " ELIFECYCLE  Command failed with exit code 1.",
  ].join("\n");
  expect(explainNodeTool({ command: ["pnpm", "install"], status: "exit 1", output })).toBe(
    "cypress's install script could not resolve download.cypress.io (getaddrinfo ENOTFOUND): the build cannot reach that host; build where it is reachable, or set the package's own variable to skip or mirror the download",
  );
  expect(
    explainNodeTool({
      command: ["npm", "run", "build"],
      status: "exit 1",
      output: "Error: getaddrinfo EAI_AGAIN cdn.example.com\n",
    }),
  ).toMatch(/^the build could not resolve cdn\.example\.com \(getaddrinfo EAI_AGAIN\)/);
});

test("Cypress's test-runner download is skipped unless the build env asks for it", () => {
  expect(skippedDownloads({})).toEqual({ CYPRESS_INSTALL_BINARY: "0" });
  expect(skippedDownloads({ CYPRESS_INSTALL_BINARY: "13.6.1" })).toEqual({});
});

test("a build tool's header gives way to the first line under it that names a cause (real Vite 5 and Next.js 16 output)", () => {
  const fixture = (name: string) => readFileSync(new URL(`./tool-errors.fixtures/${name}`, import.meta.url), "utf8");
  // filamentphp/demo's `npm run build` (Vite 5 + @tailwindcss/vite) without composer's vendor/:
  // the line was "during build:", Vite's header.
  expect(errorLine(fixture("vite-build-filament.txt"))).toBe(
    "[@tailwindcss/vite:generate:build] Can't resolve '../../vendor/filament/support/resources/css/index.css' in '/workspace/resources/css'",
  );
  // `next build` (Next.js 16.4.6, Turbopack) of a page and a layout with two missing imports:
  // the line was "Error: Turbopack build failed with 2 errors:".
  expect(errorLine(fixture("next-turbopack-module-not-found.txt"))).toBe(
    "./app/page.js:1:1: Error: Module not found: Can't resolve '../components/chart'",
  );
  // A header with nothing under it but a stack trace stays the line.
  expect(errorLine("error during build:\n    at x (/a.js:1:1)\n")).toBe("during build:");
});
