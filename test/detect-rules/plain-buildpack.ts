/**
 * A buildpack whose detect is a plain function, not rules: the packager must learn that
 * (its description is null) and keep a Node bin/detect for it.
 */
import { buildpack } from "@cnbkit/framework";

export default buildpack({
  detect: (ctx) => ctx.pass(),
  build: () => undefined,
});
