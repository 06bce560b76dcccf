/**
 * A child process for the layout fault tests: bundled with esbuild and run with node, it
 * writes one small image (a layer holding argv[4], or N random bytes for `random:N`) into the
 * layout argv[2] under tag argv[3],
 * as a separate cnbkit process writing the same layout would.
 */
import { randomBytes } from "node:crypto";
import { imageConfig } from "./image.js";
import { writeLayer } from "./layer.js";
import { OciLayout } from "./layout.js";

const [dir, tag, text] = process.argv.slice(2) as [string, string, string];
const layout = await OciLayout.create(dir);
const random = /^random:(\d+)$/.exec(text)?.[1];
const data = random ? randomBytes(Number(random)) : Buffer.from(text);
const layer = await writeLayer([{ type: "file", path: "etc/writer", size: data.length, data }], layout.blobDir);
const config = imageConfig({ architecture: "amd64", diffIds: [layer.diffId] });
const desc = await layout.writeImage({ config, layers: [layer], tag });
process.stdout.write(`${desc.digest}\n`);
