/**
 * What a step may use of the build context: the framework's `StepContext` for this
 * buildpack's `[metadata]`. Each step names the parts it needs (`StepContext<"layers" | "log">`),
 * so its signature says what it touches: the app's facts come in as values (read once,
 * steps/read-app.ts), not as `ctx.app` to be read again.
 */
import type { BuildContext, StepContext as Narrow } from "@cnbkit/framework";
import type { JavaMetadata } from "../java-metadata.js";

/** The parts `K` of this buildpack's build context. */
export type StepContext<K extends keyof BuildContext<JavaMetadata>> = Narrow<K, JavaMetadata>;
