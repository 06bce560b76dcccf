import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { newCommand, parseInvocation } from "../cli/index.js";
import { locateSources } from "./locate.js";
import { fillPlaceholders } from "./placeholders.js";
import { PUBLISHED_CLI_SPEC, PUBLISHED_FRAMEWORK_SPEC } from "./published.js";
import { scaffold, TEMPLATES } from "./scaffold.js";

/** A temp dir removed when the test ends. */
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "cnbkit-scaffold-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
const repo = join(import.meta.dirname, "..", "..", "..");

describe("scaffold", () => {
  test.each(TEMPLATES)("%s: every placeholder is filled and the TOML and JSON parse", async (template) => {
    const dir = join(tmp(), "my-project");
    const r = await scaffold({ template, dir, id: "acme/my-project", name: "Acme Project" });
    expect(r.files).toContain("package.json");
    expect(r.files).toContain(".gitignore");
    for (const rel of r.files) {
      const text = readFileSync(join(dir, rel), "utf8");
      expect(text, rel).not.toMatch(/\{\{[A-Za-z]+\}\}/);
      if (rel.endsWith(".toml")) parseToml(text, rel);
    }
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.name).toBe("my-project");
    expect(pkg.dependencies["@cnbkit/framework"]).toBe(`file:${join(repo, "framework")}`);
    expect(pkg.devDependencies["@cnbkit/builder-packager"]).toBe(`file:${join(repo, "builder-packager")}`);
    expect(r.nextSteps.slice(1)).toEqual(expect.arrayContaining(["npm install", "npm test", "npm run package"]));
    // Written whole: no temp directory is left beside the project.
    expect(readdirSync(join(dir, "..")).sort()).toEqual(["my-project"]);
  });

  test("buildpack: id, name and the package output file name land where they belong", async () => {
    const dir = join(tmp(), "hello");
    await scaffold({ template: "buildpack", dir, id: "acme/hello", name: "Acme Hello" });
    const toml = parseToml(readFileSync(join(dir, "buildpack.toml"), "utf8"), "buildpack.toml") as {
      api: string;
      buildpack: { id: string; name: string };
      targets: unknown[];
    };
    expect([toml.api, toml.buildpack.id, toml.buildpack.name, toml.targets.length]).toEqual([
      "0.12",
      "acme/hello",
      "Acme Hello",
      2,
    ]);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.scripts.package).toBe("cnbkit package . --format file --output acme_hello.cnb");
  });

  test("extension: id and name land in extension.toml, written with the framework's extension()", async () => {
    const dir = join(tmp(), "apt");
    const r = await scaffold({ template: "extension", dir, id: "acme/apt", name: "Acme Apt" });
    expect(r.files).not.toContain("buildpack.toml");
    const toml = parseToml(readFileSync(join(dir, "extension.toml"), "utf8"), "extension.toml") as {
      api: string;
      extension: { id: string; name: string; version: string };
    };
    expect([toml.api, toml.extension.id, toml.extension.name, toml.extension.version]).toEqual([
      "0.10",
      "acme/apt",
      "Acme Apt",
      "0.1.0",
    ]);
    expect(readFileSync(join(dir, "src", "index.ts"), "utf8")).toContain("export default extension({");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.scripts.package).toBe("cnbkit package . --format file --output acme_apt.cnb");
  });

  test("defaults: id example/<dir>, name from the dir, published versions outside a checkout", async () => {
    const sources = { ...locateSources() };
    delete sources.framework;
    delete sources.builderPackager;
    const dir = join(tmp(), "Hello_World");
    const r = await scaffold({ template: "buildpack", dir, sources });
    expect([r.id, r.name]).toEqual(["example/hello-world", "Hello World"]);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.dependencies["@cnbkit/framework"]).toBe("^0.1.0");
    expect(pkg.devDependencies["@cnbkit/builder-packager"]).toBe("^0.1.0");
  });

  test("the published ranges are the CLI package's own framework dependency and version", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "builder-packager", "package.json"), "utf8"));
    expect(PUBLISHED_FRAMEWORK_SPEC).toBe(pkg.dependencies["@cnbkit/framework"]);
    expect(PUBLISHED_CLI_SPEC).toBe(`^${pkg.version}`);
    expect(PUBLISHED_FRAMEWORK_SPEC).toMatch(/^\^\d+\.\d+\.\d+$/);
  });

  test("an installed CLI package reads the templates its dist/ ships; a checkout wins over a packed dist/", () => {
    const pkgDir = join(tmp(), "node_modules", "@cnbkit", "builder-packager");
    mkdirSync(join(pkgDir, "dist", "templates", "buildpack"), { recursive: true });
    writeFileSync(join(pkgDir, "package.json"), JSON.stringify({ name: "@cnbkit/builder-packager" }));
    writeFileSync(join(pkgDir, "dist", "templates", "buildpack", "buildpack.toml"), "");
    expect(locateSources(join(pkgDir, "dist"))).toEqual({
      templates: join(pkgDir, "dist", "templates"),
      caCertificates: join(pkgDir, "dist", "ca-certificates"),
    });
    // `cnbkit new`'s code is a chunk of the bundle, in dist/chunks/ (scripts/build-cli.mjs).
    expect(locateSources(join(pkgDir, "dist", "chunks")).templates).toBe(join(pkgDir, "dist", "templates"));
    // The bundled CLI of a checkout (builder-packager/dist/cnbkit.mjs), packed or not.
    expect(locateSources(join(repo, "builder-packager", "dist"))).toEqual({
      templates: join(repo, "templates"),
      caCertificates: join(repo, "buildpacks", "ca-certificates"),
      framework: join(repo, "framework"),
      builderPackager: join(repo, "builder-packager"),
    });
    expect(() => locateSources(join(pkgDir, ".."))).toThrow(/^cnbkit new: no templates directory found above /);
  });

  test("builder: the CA certificates buildpack is vendored from its one source, in the org", async () => {
    const dir = join(tmp(), "platform");
    await scaffold({ template: "builder", dir, id: "acme/builder" });
    const source = join(repo, "buildpacks", "ca-certificates");
    for (const rel of ["src/index.ts", "src/pem.ts", "src/helper.ts", "testdata/corp-ca.pem"]) {
      expect(readFileSync(join(dir, "buildpacks/ca-certificates", rel), "utf8"), rel).toBe(
        readFileSync(join(source, rel), "utf8"),
      );
    }
    expect(existsSync(join(dir, "buildpacks/ca-certificates/package.json"))).toBe(false);
    const bp = parseToml(readFileSync(join(dir, "buildpacks/ca-certificates/buildpack.toml"), "utf8"), "x") as {
      buildpack: { id: string };
    };
    expect(bp.buildpack.id).toBe("acme/ca-certificates");
    const builder = parseToml(readFileSync(join(dir, "builder.toml"), "utf8"), "builder.toml") as {
      order: { group: { id: string }[] }[];
    };
    expect(builder.order[0]!.group.map((g) => g.id)).toEqual(["acme/ca-certificates", "acme/org-defaults"]);
  });

  test("an empty existing directory is used; a non-empty one or a file is refused and left alone", async () => {
    const root = tmp();
    mkdirSync(join(root, "empty"));
    await scaffold({ template: "buildpack", dir: join(root, "empty"), id: "acme/x" });
    expect(existsSync(join(root, "empty", "buildpack.toml"))).toBe(true);

    mkdirSync(join(root, "full"));
    writeFileSync(join(root, "full", "keep.txt"), "mine");
    await expect(scaffold({ template: "buildpack", dir: join(root, "full"), id: "acme/x" })).rejects.toThrow(
      `${join(root, "full")} is not empty; cnbkit new writes only into a new or empty directory`,
    );
    expect(readdirSync(join(root, "full"))).toEqual(["keep.txt"]);
    writeFileSync(join(root, "file"), "");
    await expect(scaffold({ template: "buildpack", dir: join(root, "file") })).rejects.toThrow(
      "exists and is not a directory",
    );
    expect(readdirSync(root).sort()).toEqual(["empty", "file", "full"]);
  });

  test("a bad id, name or template is one line and writes nothing", async () => {
    const root = tmp();
    const dir = join(root, "p");
    await expect(scaffold({ template: "buildpack", dir, id: "My BP!" })).rejects.toThrow(
      `--id "My BP!" may only contain letters, digits, '.', '/' and '-'`,
    );
    await expect(scaffold({ template: "buildpack", dir, id: "sbom" })).rejects.toThrow(/is reserved/);
    await expect(scaffold({ template: "buildpack", dir, name: 'a "quoted" name' })).rejects.toThrow(
      /^--name .* must be non-empty without quotes/,
    );
    await expect(scaffold({ template: "website" as never, dir })).rejects.toThrow(
      '--template "website" is not one of buildpack, composite, builder, extension',
    );
    expect(readdirSync(root)).toEqual([]);
  });

  test("an unknown placeholder in a template names the file", () => {
    expect(() => fillPlaceholders("x {{version}}", {} as never, "buildpack/README.md")).toThrow(
      "template buildpack/README.md: unknown placeholder {{version}}",
    );
  });
});

describe("cnbkit new", () => {
  test("parses its flags, writes the project and prints the next steps", async () => {
    const dir = join(tmp(), "hello");
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const inv = parseInvocation(
      newCommand,
      [dir, "--template", "composite", "--id", "acme/hello", "--name", "Hello"],
      io,
    );
    expect(await newCommand.run(inv!)).toBe(0);
    expect(out[0]).toBe(`Created composite acme/hello (Hello) in ${dir}: 12 files`);
    expect(out).toContain("Next steps:");
    expect(out).toContain("  npm install");
    expect(existsSync(join(dir, "package.toml"))).toBe(true);
  });
  test("a missing directory argument is one line with the usage", () => {
    expect(() => parseInvocation(newCommand, [], { out: () => {}, err: () => {} })).toThrow(
      "cnbkit new: missing <dir>",
    );
  });
});
