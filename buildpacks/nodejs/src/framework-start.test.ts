import { describe, expect, test } from "vitest";
import { frameworkStart, frameworkWithoutServer, sveltekitOut } from "./framework-start.js";

const app = (pkg: Record<string, unknown>, files: string[], texts: Record<string, string> = {}) => ({
  pkg,
  exists: (f: string) => files.includes(f),
  read: (f: string) => texts[f],
});
const dev = (...names: string[]) => ({ devDependencies: Object.fromEntries(names.map((n) => [n, "1.0.0"])) });
const deps = (...names: string[]) => ({ dependencies: Object.fromEntries(names.map((n) => [n, "1.0.0"])) });

describe("frameworkStart", () => {
  test.each([
    [
      "SvelteKit adapter-node",
      dev("@sveltejs/kit", "@sveltejs/adapter-node"),
      ["build/index.js"],
      ["node", "build/index.js"],
      "SvelteKit's adapter-node output",
    ],
    [
      "Nuxt",
      deps("nuxt"),
      [".output/server/index.mjs"],
      ["node", ".output/server/index.mjs"],
      "Nuxt's node-server output",
    ],
    [
      "plain Nitro",
      dev("nitropack"),
      [".output/server/index.mjs"],
      ["node", ".output/server/index.mjs"],
      "Nitro's node-server output",
    ],
    [
      "Astro standalone",
      deps("astro", "@astrojs/node"),
      ["dist/server/entry.mjs"],
      ["node", "dist/server/entry.mjs"],
      "Astro's @astrojs/node standalone output",
    ],
    [
      "React Router 7",
      deps("react-router", "@react-router/serve"),
      ["build/server/index.js"],
      ["react-router-serve", "build/server/index.js"],
      "React Router's server build",
    ],
    [
      "Remix with Vite",
      deps("@remix-run/serve"),
      ["build/server/index.js", "build/index.js"],
      ["remix-serve", "build/server/index.js"],
      "Remix's server build",
    ],
    [
      "classic Remix",
      deps("@remix-run/serve"),
      ["build/index.js"],
      ["remix-serve", "build/index.js"],
      "Remix's server build",
    ],
    [
      "Next.js",
      deps("next"),
      [".next/BUILD_ID", "node_modules/next/dist/bin/next"],
      ["node", "node_modules/next/dist/bin/next", "start"],
      "Next.js's build (next start)",
    ],
  ])("%s", (_name, pkg, files, command, framework) => {
    expect(frameworkStart(app(pkg, files))).toMatchObject({ command, framework });
  });

  test("only Astro gets a HOST default: it alone binds to localhost without one", () => {
    expect(frameworkStart(app(deps("@astrojs/node"), ["dist/server/entry.mjs"]))?.env).toEqual({ HOST: "0.0.0.0" });
    expect(frameworkStart(app(dev("@sveltejs/adapter-node"), ["build/index.js"]))?.env).toBeUndefined();
  });

  test.each([
    ["the package without its build output", dev("@sveltejs/adapter-node"), [".output/server/index.mjs"]],
    ["the build output without the package", dev("@sveltejs/adapter-static"), ["build/index.js"]],
    ["a serve package only in devDependencies, which the prune removes", dev("@remix-run/serve"), ["build/index.js"]],
    ["next only in devDependencies", dev("next"), [".next/BUILD_ID", "node_modules/next/dist/bin/next"]],
    ["next with no build", deps("next"), ["node_modules/next/dist/bin/next"]],
  ])("nothing for %s", (_name, pkg, files) => {
    expect(frameworkStart(app(pkg, files))).toBeUndefined();
  });

  test("Next.js: standalone output still gets next start; a static export gets nothing", () => {
    const built = [".next/BUILD_ID", "node_modules/next/dist/bin/next", ".next/standalone/server.js"];
    const config = (output: string) => ({ "next.config.mjs": `export default { output: "${output}" };` });
    expect(frameworkStart(app(deps("next"), built, config("standalone")))?.command).toEqual([
      "node",
      "node_modules/next/dist/bin/next",
      "start",
    ]);
    expect(frameworkStart(app(deps("next"), built, config("export")))).toBeUndefined();
  });

  test("adapter-node's configured out directory", () => {
    const config = { "svelte.config.js": 'export default { kit: { adapter: adapter({ out: "./server/" }) } };' };
    expect(frameworkStart(app(dev("@sveltejs/adapter-node"), ["server/index.js"], config))?.command).toEqual([
      "node",
      "server/index.js",
    ]);
    expect(frameworkStart(app(dev("@sveltejs/adapter-node"), ["build/index.js"], config))).toBeUndefined();
  });
});

describe("sveltekitOut", () => {
  test.each([
    ["no config", {}, "build"],
    ["adapter() with no options", { "svelte.config.js": "adapter()" }, "build"],
    ["out in single quotes", { "svelte.config.js": "adapter({ out: 'out' })" }, "out"],
    ["svelte.config.ts", { "svelte.config.ts": "adapter({out:`dist/node`})" }, "dist/node"],
    ["SvelteKit 3's vite.config.js", { "vite.config.js": "sveltekit({ adapter: adapter({ out: 'srv' }) })" }, "srv"],
    ["a computed out keeps the default", { "svelte.config.js": 'adapter({ out: dir + "/x" })' }, "build"],
  ])("%s", (_name, texts: Record<string, string>, out) => {
    expect(sveltekitOut((f) => texts[f])).toBe(out);
  });
});

// lucia-auth/example-sveltekit-email-password-2fa (round 3): adapter-auto, so no build/index.js.
test("an adapter that writes no Node.js server is named, with the one that does", () => {
  expect(
    frameworkWithoutServer({ devDependencies: { "@sveltejs/kit": "2.5.0", "@sveltejs/adapter-auto": "3.2.0" } }),
  ).toMatch(/^SvelteKit's @sveltejs\/adapter-auto writes no Node.js server: add @sveltejs\/adapter-node/);
  expect(
    frameworkWithoutServer({
      devDependencies: { "@sveltejs/kit": "2.5.0", "@sveltejs/adapter-auto": "3.2.0", "@sveltejs/adapter-node": "5" },
    }),
  ).toBeUndefined();
  expect(frameworkWithoutServer({ dependencies: { astro: "4.0.0", "@astrojs/vercel": "7.0.0" } })).toContain(
    "@astrojs/node",
  );
  expect(frameworkWithoutServer({ dependencies: { express: "4" } })).toBeUndefined();
});

describe("React Router's custom server entry (sahibibadov/react-router-7-react-19-ssr-react-compiler)", () => {
  // vite.config.ts gives the SSR build `input: "./server/app.ts"`, an Express handler for Vercel:
  // build/server/index.js then re-exports it, and the server build sits in a chunk.
  const custom =
    'import { b, g } from "./assets/app-DXJGiktm.js";\nexport {\n  b as default,\n  g as getPostsServer\n};\n';
  const real = 'const assetsBuildDirectory = "build/client";\nexport { assetsBuildDirectory, routes };\n';
  const pkg = deps("react-router", "@react-router/serve", "@react-router/express");
  const files = (text: string) => app(pkg, ["build/server/index.js"], { "build/server/index.js": text });

  test("is not started with react-router-serve, which crashes on it", () => {
    expect(frameworkStart(files(custom))).toBeUndefined();
    expect(frameworkStart(files(real))?.command).toEqual(["react-router-serve", "build/server/index.js"]);
  });

  test("gets one line that says why there is no start command, and what to add", () => {
    expect(frameworkWithoutServer(pkg, files(custom))).toMatch(
      /^React Router's build\/server\/index.js is a custom server entry .* add a "start" script that serves it on \$PORT/,
    );
    expect(frameworkWithoutServer(pkg, files(real))).toBeUndefined();
  });
});
