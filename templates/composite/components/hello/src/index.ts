/**
 * {{id}}-hello: for apps with a hello.txt, a `web` process that prints it (in the
 * environment the config component set).
 */
import { buildpack } from "@cnbkit/framework";

export default buildpack({
  async detect(ctx) {
    return (await ctx.app.exists("hello.txt")) ? ctx.pass() : ctx.fail("no hello.txt");
  },
  async build() {
    return { processes: [{ type: "web", command: ["sh", "-c", 'echo "[$APP_ENV] $(cat hello.txt)"'], default: true }] };
  },
});
