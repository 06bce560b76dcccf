/**
 * cnbkit's CA certificates buildpack. Companies put it first in every order group so that
 * the build (npm, pip, git, curl behind a TLS-inspecting proxy) and, when asked, the app
 * trust their CAs.
 *
 * - Detect passes when a binding of type `ca-certificates` exists at build time, or when
 *   the runtime helper is enabled (`BP_ENABLE_RUNTIME_CERT_BINDING=true`). Unlike Paketo's,
 *   which always participates, it stays out of builds it has nothing to do for. It is
 *   declared as rules, so the packaged bin/detect is a sh script that does not start Node.
 * - Build merges the system bundle (`$SSL_CERT_FILE`, else /etc/ssl/certs/ca-certificates.crt)
 *   and every certificate of the bindings into one bundle in a layer, and points
 *   {@link TRUST_VARIABLES} at it for later buildpacks. With `BP_EMBED_CERTS=true` the layer
 *   is in the app image and the variables are set at launch too.
 * - With the runtime helper, an exec.d program does the same at launch for bindings mounted
 *   into the running container.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildpack, CnbError, detectRules, type Environment } from "@cnbkit/framework";
// Not node:fs/promises: this module is also every detect's, and loading that costs ~2.5 ms.
import { mkdir, readFile, writeFile } from "@cnbkit/framework/fs";
import { HELPER_NAME, HELPER_SCRIPT, TRUST_VARIABLES } from "./helper.js";
import { parsePemCertificates } from "./pem.js";

export { TRUST_VARIABLES } from "./helper.js";

/** The binding type this buildpack reads (servicebinding.io `type` file). */
export const BINDING_TYPE = "ca-certificates";

/** Where Debian and Ubuntu keep the system bundle. */
export const SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

const NO_BINDING = `no binding of type ${BINDING_TYPE} and BP_ENABLE_RUNTIME_CERT_BINDING is not true`;

/** Reads a boolean BP_* setting: unset or empty is `undefined`; anything but true/false is an error. */
export function flag(env: Environment, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return undefined;
  if (["true", "1", "yes"].includes(raw)) return true;
  if (["false", "0", "no"].includes(raw)) return false;
  throw new CnbError(`${name}="${env[name]}" must be true or false`);
}

/** Whether the exec.d runtime helper is wanted: enabled and not disabled (Paketo's two names). */
export function runtimeHelperEnabled(env: Environment): boolean {
  if (flag(env, "BP_RUNTIME_CERT_BINDING_DISABLED") === true) return false;
  return flag(env, "BP_ENABLE_RUNTIME_CERT_BINDING") === true;
}

/**
 * Detect as rules, so the packaged bin/detect is sh and a build does not start Node for it:
 * a binding of the type passes; otherwise, when either runtime-helper setting is set in the
 * process env (what {@link flag} reads), Node parses it (true/1/yes in any case, spaces
 * trimmed, a bad value an error), which sh cannot match exactly; with neither, detect fails.
 */
const detect = detectRules({
  rules: [
    { when: { bindingType: BINDING_TYPE }, outcome: { pass: {} } },
    { when: { processEnv: "BP_RUNTIME_CERT_BINDING_DISABLED" }, outcome: "code" },
    { when: { processEnv: "BP_ENABLE_RUNTIME_CERT_BINDING" }, outcome: "code" },
  ],
  otherwise: { fail: NO_BINDING },
  async code(ctx) {
    if (ctx.platform.bindings.byType(BINDING_TYPE).length > 0) return ctx.pass();
    if (runtimeHelperEnabled(ctx.env)) return ctx.pass();
    return ctx.fail(NO_BINDING);
  },
});

export default buildpack({
  detect,

  async build(ctx) {
    const embed = flag(ctx.env, "BP_EMBED_CERTS") === true;
    const helper = runtimeHelperEnabled(ctx.env);
    const bindings = ctx.platform.bindings.byType(BINDING_TYPE);

    const extra: string[] = [];
    for (const binding of bindings) {
      // Hidden files (a .gitkeep, an editor's swap file) are never certificates.
      const files = binding.entries.filter((f) => !f.startsWith("."));
      if (files.length === 0) ctx.log.warn(`binding "${binding.name}" has no certificate files`);
      for (const file of files) {
        const text = (await binding.read(file)) ?? "";
        const certs = parsePemCertificates(text, `binding "${binding.name}" file ${file}`);
        extra.push(...certs);
        ctx.log.detail(`${binding.name}/${file}: ${certs.length} certificate${certs.length === 1 ? "" : "s"}`);
      }
    }

    if (extra.length > 0) {
      const systemPath = [ctx.env.SSL_CERT_FILE, SYSTEM_BUNDLE].find((p) => p && existsSync(p));
      const system = systemPath ? await readFile(systemPath, "utf8") : "";
      ctx.log.step(
        `Trusting ${extra.length} certificate${extra.length === 1 ? "" : "s"} from ${bindings.length} binding${bindings.length === 1 ? "" : "s"}` +
          (systemPath ? ` plus ${systemPath}` : " (no system bundle found)"),
      );
      await ctx.layers.fresh("ca-certificates", {
        types: { build: true, launch: embed },
        async fill(layer) {
          const bundle = join(layer.path, "ca-certificates.crt");
          await mkdir(layer.path, { recursive: true });
          const head = system === "" || system.endsWith("\n") ? system : `${system}\n`;
          await writeFile(bundle, head + extra.join(""));
          const scope = embed ? layer.env : layer.env.build;
          for (const name of TRUST_VARIABLES) scope.override(name, bundle);
        },
      });
      ctx.log.detail(
        embed
          ? "Embedded in the app image (BP_EMBED_CERTS=true)"
          : "For the build only (set BP_EMBED_CERTS=true to embed them in the app image)",
      );
    }

    if (helper) {
      await ctx.layers.fresh("helper", {
        types: { launch: true },
        async fill(layer) {
          await layer.execD.addScript(HELPER_NAME, HELPER_SCRIPT);
        },
      });
      ctx.log.step("Runtime helper: trusts ca-certificates bindings mounted at launch");
    }
    return {};
  },
});
