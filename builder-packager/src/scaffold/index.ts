/** The scaffold stage's public surface: `cnbkit new`. */
export { locateSources, type ScaffoldSources } from "./locate.js";
export { fillPlaceholders, npmPackageName, type PlaceholderValues } from "./placeholders.js";
export {
  PUBLISHED_SPEC,
  type ScaffoldOptions,
  type ScaffoldResult,
  scaffold,
  TEMPLATES,
  type TemplateName,
} from "./scaffold.js";
