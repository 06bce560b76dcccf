/**
 * Go module files of the test apps, shared by the harness tests and the end-to-end test: a
 * go.sum is a fact about the module proxy's contents (h1: hashes), so it is written once.
 */

/** go.sum of an app that requires github.com/go-chi/chi/v5 v5.2.3 (and nothing else). */
export const CHI_GO_SUM = [
  "github.com/go-chi/chi/v5 v5.2.3 h1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=",
  "github.com/go-chi/chi/v5 v5.2.3/go.mod h1:L2yAIGWB3H+phAw1NxKwWM+7eUH/lU8pOMm5hHcoops=",
  "",
].join("\n");

/** go.mod of module `module` at go line 1.26 that requires chi v5.2.3. */
export function chiGoMod(module: string): string {
  return `module ${module}\n\ngo 1.26\n\nrequire github.com/go-chi/chi/v5 v5.2.3\n`;
}
