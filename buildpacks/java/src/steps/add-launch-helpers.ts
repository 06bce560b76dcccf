/**
 * Step: the launch helpers beside the memory calculator, in a small launch layer of their
 * own (`jvm_helpers`): the JDWP agent for BPL_DEBUG_* (debug-agent.ts), the truststore
 * with cnbkit/ca-certificates' certificates (trust-store.ts) and Spring Boot's SERVER_PORT
 * from $PORT (server-port.ts). All are exec.d sh scripts; the layer is rewritten only when
 * a script changes.
 */
import { createHash } from "node:crypto";
import { DEBUG_AGENT_EXEC_D, DEBUG_AGENT_SCRIPT } from "../debug-agent.js";
import { FRAMEWORK_NAMES, type JvmFramework, portVariables } from "../jvm-framework.js";
import { SERVER_PORT_EXEC_D, serverPortScript } from "../server-port.js";
import { TRUST_STORE_EXEC_D, TRUST_STORE_SCRIPT } from "../trust-store.js";
import type { StepContext } from "./step-context.js";

/** Adds the helpers; `framework` decides which variables carry $PORT (jvm-framework.ts). */
export async function addLaunchHelpers(ctx: StepContext<"layers" | "log">, framework?: JvmFramework): Promise<void> {
  const portVars = portVariables(framework);
  const portScript = serverPortScript(portVars);
  const scripts = createHash("sha256")
    .update(DEBUG_AGENT_SCRIPT)
    .update(TRUST_STORE_SCRIPT)
    .update(portScript)
    .digest("hex");
  await ctx.layers.cached("jvm_helpers", {
    types: { launch: true, cache: false },
    key: { scripts },
    async fill(l) {
      await l.execD.addScript(DEBUG_AGENT_EXEC_D, DEBUG_AGENT_SCRIPT);
      await l.execD.addScript(TRUST_STORE_EXEC_D, TRUST_STORE_SCRIPT);
      await l.execD.addScript(SERVER_PORT_EXEC_D, portScript);
    },
  });
  ctx.log.detail(
    `JDWP agent (BPL_DEBUG_ENABLED), CA truststore (SSL_CERT_FILE) and ${portVars.join(", ")} from $PORT at launch${framework ? ` (${FRAMEWORK_NAMES[framework]})` : ""}`,
  );
}
