import { expect, test } from "vitest";
import type { ImageConfig } from "../oci/index.js";
import { notRebasable } from "./rebase.js";

const config = (labels: Record<string, string>, history: string[] = []): ImageConfig => ({
  architecture: "amd64",
  os: "linux",
  config: { Labels: labels },
  rootfs: { type: "layers", diff_ids: [] },
  history: history.map((created_by) => ({ created_by })),
});

test("an image labelled rebasable=false by image extensions: one line naming the image and the rebuild", () => {
  const err = notRebasable(
    "oci:out/app:latest",
    config({ "io.buildpacks.rebasable": "false" }, [
      "base",
      "Layer: 'RUN apt-get install -y hello', Created by extension: acme/a",
    ]),
  );
  expect(err?.message).toBe(
    "image oci:out/app:latest is labelled io.buildpacks.rebasable=false: image extensions added layers to its run image, which a new run image would not have; rebuild it with cnbkit build",
  );
  expect(err?.message).not.toContain("\n");
});

test("rebasable=false without extension layers keeps the buildpack's reason; true or unset is no refusal", () => {
  expect(notRebasable("app", config({ "io.buildpacks.rebasable": "false" }))?.message).toBe(
    "image app is labelled io.buildpacks.rebasable=false",
  );
  expect(notRebasable("app", config({ "io.buildpacks.rebasable": "true" }))).toBeUndefined();
  expect(notRebasable("app", config({}))).toBeUndefined();
});
