/** The scaffold stage's public surface: `cnbkit new`. */
export { locateSources, type ScaffoldSources } from "./locate.js";
export { fillPlaceholders, npmPackageName, type PlaceholderValues } from "./placeholders.js";
export { PUBLISHED_CLI_SPEC, PUBLISHED_FRAMEWORK_SPEC } from "./published.js";
export {
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffold,
  TEMPLATES,
  type TemplateName,
} from "./scaffold.js";
