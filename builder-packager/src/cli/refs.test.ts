/**
 * A path mistaken for an image reference fails in one line that names the fix, before any
 * stage reads it: a layout without `oci:`, an `oci:` path that does not exist or is no layout.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { imageRef } from "./refs.js";
import { runCli } from "../../../test/support/cli.js";

let work: string;
let layout: string;
let plain: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-refs-"));
  layout = join(work, "builder");
  plain = join(work, "plain");
  await mkdir(layout);
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await mkdir(plain);
  await mkdir(join(work, "app"));
});

afterAll(() => rm(work, { recursive: true, force: true }));

describe("image references on the command line", () => {
  test("an OCI layout given without oci: as the builder suggests oci:<path>", async () => {
    const r = await runCli(["build", join(work, "app"), "--builder", layout, "--output", `oci:${work}/out`]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `error: "${layout}" is an OCI image layout, and without oci: it names a registry image\n  name it oci:${layout}`,
    );
  });

  test("an OCI layout given without oci: to inspect, run or sbom suggests oci:<path>", async () => {
    for (const args of [
      ["inspect", layout],
      ["run", layout],
      ["sbom", layout, "--output", join(work, "sbom")],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.err.split("\n")[1], args.join(" ")).toBe(`  name it oci:${layout}`);
    }
  });

  test("an oci: path that does not exist says so", async () => {
    const missing = join(work, "nope");
    const r = await runCli(["inspect", `oci:${missing}:v1`]);
    expect(r.code).toBe(1);
    expect(r.err.split("\n")[0]).toBe(`error: oci:${missing}:v1: ${missing} does not exist`);
    const b = await runCli(["build", join(work, "app"), "--builder", `oci:${missing}`, "--output", `oci:${work}/out`]);
    expect(b.err.split("\n")[0]).toBe(`error: oci:${missing}: ${missing} does not exist`);
  });

  test("an oci: directory with no oci-layout file says it is no layout; for a builder, that a rootfs needs no oci:", async () => {
    const r = await runCli(["inspect", `oci:${plain}`]);
    expect(r.err).toBe(`error: oci:${plain}: ${plain} is not an OCI image layout (no oci-layout file)`);
    const b = await runCli(["build", join(work, "app"), "--builder", `oci:${plain}`, "--output", `oci:${work}/out`]);
    expect(b.err.split("\n")[1]).toBe(`  a builder's root filesystem is named without oci: (${plain})`);
  });

  test("a plain directory that is no reference is named as such; registry refs and rootfs dirs pass", () => {
    expect(() => imageRef(`${plain}/`)).toThrow(/is a directory but not an OCI image layout/);
    expect(imageRef(plain, { rootfs: true })).toBe(plain);
    expect(imageRef("127.0.0.1:5000/acme/app:1")).toBe("127.0.0.1:5000/acme/app:1");
    expect(imageRef(`oci:${layout}:v1`)).toBe(`oci:${layout}:v1`);
  });
});
