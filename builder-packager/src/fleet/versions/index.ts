/**
 * Package versions as each ecosystem orders them (npm semver, PEP 440, Maven, Debian), and
 * ranges in each one's own syntax, for `cnbkit fleet query --package NAME@RANGE`.
 */
export { compareDebian, isDebianVersion } from "./debian.js";
export { compareMaven } from "./maven.js";
export { COMPARE, type Ecosystem, ecosystemOf, type VersionTest, versionTest } from "./ranges.js";
