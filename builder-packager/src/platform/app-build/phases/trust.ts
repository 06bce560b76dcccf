/**
 * Whether a build runs the lifecycle's creator (one container) or its five phases, each in
 * a container of its own: the trusted-builder rule of pack, applied to cnbkit's builders.
 *
 * pack runs the creator only for a builder it trusts: one of its known builders (Google's,
 * Heroku's, Paketo's) or one the user added with `pack config trusted-builders add`, or
 * with `--trust-builder`. Any other builder is untrusted and its buildpacks run in
 * containers that hold no registry credentials. cnbkit does the same for a registry
 * builder: unknown means untrusted, so phases. A builder on this machine (an `oci:` layout
 * or a root filesystem dir) is trusted by default: it is what `cnbkit builder create` wrote
 * here or what the user put there, pack has no such case (its builders come from a daemon
 * or a registry), and cnbkit's creator never holds registry credentials for it anyway
 * (the lifecycle writes to a layout; cnbkit copies the image out). `--phases` runs phases
 * whatever the builder.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";

/**
 * The builders pack trusts without being told (pack's internal/builder KnownBuilders with
 * Trusted: true), matched as pack matches them: the reference exactly as given.
 */
export const KNOWN_TRUSTED_BUILDERS: readonly string[] = [
  "gcr.io/buildpacks/builder:google-22",
  "heroku/builder:24",
  "heroku/builder:22",
  "heroku/builder:20",
  "paketobuildpacks/builder-jammy-base",
  "paketobuildpacks/builder-jammy-full",
  "paketobuildpacks/builder-jammy-tiny",
  "paketobuildpacks/builder-jammy-buildpackless-static",
  "paketobuildpacks/builder-ubi8-base",
];

/** How the lifecycle runs, and why. */
export type LifecycleMode =
  | { kind: "creator"; why: "trusted-flag" | "local" | "known" }
  | { kind: "phases"; why: "phases-flag" | "untrusted-flag" | "unknown-registry-builder" | "extensions" };

/** What decides the mode: the builder as the user named it and the two flags. */
export interface TrustRequest {
  builder: string;
  /** `--trust-builder` (true), untrusted on purpose (false), or neither (decided by the builder). */
  trustBuilder?: boolean;
  /** `--phases`. */
  phases?: boolean;
}

/**
 * Decides creator or phases for a build. `--phases` with `--trust-builder` is one line: they
 * ask for opposite things.
 *
 * @example
 * lifecycleMode({ builder: "oci:out/builder" })            // { kind: "creator", why: "local" }
 * lifecycleMode({ builder: "registry.example.com/b:1" })   // { kind: "phases", why: "unknown-registry-builder" }
 */
export function lifecycleMode(req: TrustRequest, isDir: (path: string) => boolean = existsSync): LifecycleMode {
  if (req.phases && req.trustBuilder === true) {
    throw new CnbError(
      "--phases and --trust-builder ask for opposite things: --phases runs each phase in its own container, --trust-builder runs the creator; give one",
    );
  }
  if (req.phases) return { kind: "phases", why: "phases-flag" };
  if (req.trustBuilder === true) return { kind: "creator", why: "trusted-flag" };
  if (req.trustBuilder === false) return { kind: "phases", why: "untrusted-flag" };
  if (req.builder.startsWith("oci:") || isDir(resolve(req.builder))) return { kind: "creator", why: "local" };
  if (KNOWN_TRUSTED_BUILDERS.includes(req.builder)) return { kind: "creator", why: "known" };
  return { kind: "phases", why: "unknown-registry-builder" };
}

/**
 * A builder with image extensions always builds phase by phase, as pack does: cnbkit applies
 * the generated Dockerfiles between the detector and the builder (the creator has no gap).
 */
export function withExtensions(mode: LifecycleMode, labels: Record<string, string>): LifecycleMode {
  const layers = labels["io.buildpacks.extension.layers"];
  if (mode.kind === "phases" || !layers || layers === "{}") return mode;
  return { kind: "phases", why: "extensions" };
}

/** The line a build prints about its mode, when it runs phases (the creator is the quiet default). */
export function modeLine(mode: LifecycleMode, builder: string): string | undefined {
  switch (mode.why) {
    case "extensions":
      return `Builder ${builder} has image extensions: running each lifecycle phase in its own container, cnbkit applying the extensions' Dockerfiles`;
    case "phases-flag":
      return "Running each lifecycle phase in its own container (--phases)";
    case "untrusted-flag":
      return `Builder ${builder} is not trusted: running each lifecycle phase in its own container`;
    case "unknown-registry-builder":
      return `Builder ${builder} is not a trusted builder: running each lifecycle phase in its own container, registry credentials only in analyze, restore and export (--trust-builder runs the creator)`;
    default:
      return undefined;
  }
}
