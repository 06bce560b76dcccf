/**
 * Detect: passes for a Go app, one with a go.mod or a go.work at its root, or whose modules
 * BP_GO_WORK_USE names. Declared as rules,
 * so the packaged bin/detect is a POSIX sh script and never starts Node.
 */
import { detectRules } from "@cnbkit/framework";
import type { GoMetadata } from "./go-metadata.js";

/** The plan a Go app passes with: this buildpack provides Go and requires it, for the build only. */
const PLAN = { provides: [{ name: "go" }], requires: [{ name: "go", metadata: { build: true } }] };

/** Detects a Go app. */
export const detect = detectRules<GoMetadata>({
  rules: [
    { when: { anyFile: ["go.mod", "go.work"] }, outcome: { pass: PLAN } },
    // Modules in subdirs with no go.work: BP_GO_WORK_USE names them, and the build writes one.
    { when: { env: "BP_GO_WORK_USE" }, outcome: { pass: PLAN } },
  ],
  otherwise: { fail: "no go.mod or go.work in the app (or BP_GO_WORK_USE naming its modules)" },
});
