import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { baseImagesGroup, EMULATED_ROOTFS_FILES } from "./base-images-last-sequencer.js";

const root = join(import.meta.dirname, "../..");
const group = (file: string) => baseImagesGroup(join(root, file), readFileSync(join(root, file), "utf8"));

test("files with no base images go first, this machine's next, the emulated arch's last", () => {
  expect(group("framework/src/dependencies/download.test.ts")).toBe(0);
  expect(group("builder-packager/src/oci/layer-cache.test.ts")).toBe(0);
  expect(group("test/e2e/npm-app.test.ts")).toBe(1); // through the e2e support
  expect(group("builder-packager/src/base/images.test.ts")).toBe(1);
  expect(group("test/templates/build-run.test.ts")).toBe(1);
  for (const file of EMULATED_ROOTFS_FILES) expect(`${file}: ${group(file)}`).toBe(`${file}: 2`);
});
