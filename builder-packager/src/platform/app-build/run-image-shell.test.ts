import { describe, expect, test } from "vitest";
import type { ImageConfig } from "../../oci/index.js";
import { noShellReason, runImageShellEnv } from "./run-image-shell.js";

const config = (labels: Record<string, string>): ImageConfig => ({
  architecture: "amd64",
  os: "linux",
  config: { Labels: labels },
  rootfs: { type: "layers", diff_ids: [] },
});

describe("a run image with no shell", () => {
  test("cnbkit's tiny image and Paketo's tiny stacks are known by their labels; standard images are not", () => {
    const tiny = config({ "io.buildpacks.base.metadata": JSON.stringify({ suite: "trixie", flavor: "tiny" }) });
    expect(noShellReason(tiny)).toBe("its base metadata says flavor tiny");
    expect(noShellReason(config({ "io.buildpacks.stack.id": "io.buildpacks.stacks.jammy.tiny" }))).toBe(
      "its base id is io.buildpacks.stacks.jammy.tiny",
    );
    const standard = config({
      "io.buildpacks.base.id": "io.cnbkit.base.trixie",
      "io.buildpacks.base.metadata": JSON.stringify({ suite: "trixie", variant: "minbase" }),
    });
    expect(noShellReason(standard)).toBeUndefined();
    expect(noShellReason(config({ "io.buildpacks.base.metadata": "not json" }))).toBeUndefined();
  });

  test("the build gets BP_RUN_IMAGE_SHELL=false, unless the user set it", () => {
    const tiny = config({ "io.buildpacks.base.metadata": JSON.stringify({ flavor: "tiny" }) });
    expect(runImageShellEnv(tiny, {})).toEqual({
      env: { BP_RUN_IMAGE_SHELL: "false" },
      line: "Run image has no shell (its base metadata says flavor tiny): building with BP_RUN_IMAGE_SHELL=false",
    });
    expect(runImageShellEnv(tiny, { BP_RUN_IMAGE_SHELL: "true" })).toEqual({ env: {} });
    expect(runImageShellEnv(config({}), {})).toEqual({ env: {} });
  });
});
