/**
 * Malformed input of every kind, each with the exact one-line message a user sees. Every
 * message starts with the file and names the field, and every error is a CnbError.
 */
import { describe, expect, test } from "vitest";
import { CnbError } from "../errors/index.js";
import { parseBuildPlan } from "./build-plan.js";
import { parseBuildToml } from "./build-toml.js";
import { parseBuildpackPlan } from "./buildpack-plan.js";
import { parseBuildpackToml } from "./buildpack-toml-text.js";
import { parseLaunchToml, stringifyLaunchToml } from "./launch-toml.js";
import { parseLayerToml, stringifyLayerToml } from "./layer-toml.js";
import { validateLayerName } from "./names.js";
import { parseStoreToml } from "./store-toml.js";

/** A valid buildpack.toml head; `bp(...)` appends to its [buildpack] table or after it. */
const head = `api = "0.12"\n[buildpack]\nid = "acme/node"\nversion = "1.0.0"\n`;
const bp =
  (more: string, api = "0.12") =>
  () =>
    parseBuildpackToml(head.replace("0.12", api) + more);
const plan = (text: string) => () => parseBuildPlan(text, "plan.toml");
const launch = (text: string) => () => parseLaunchToml(text, "launch.toml");
const layer = (text: string) => () => parseLayerToml(text, "node.toml");
const web = `[[processes]]\ntype = "web"\ncommand = ["node"]\n`;

const cases: [string, () => unknown, string | RegExp][] = [
  // buildpack.toml: api
  [
    "unknown api",
    () => parseBuildpackToml(`api = "0.6"\n[buildpack]\nid = "a"\nversion = "1.0.0"\n`),
    `buildpack.toml: api "0.6" is not supported (supported: 0.10, 0.11, 0.12)`,
  ],
  [
    "api as a float",
    () => parseBuildpackToml(`api = 0.12\n[buildpack]\nid = "a"\nversion = "1.0.0"\n`),
    "buildpack.toml: api must be a string, not float 0.12",
  ],
  [
    "missing api",
    () => parseBuildpackToml(`[buildpack]\nid = "a"\nversion = "1.0.0"\n`),
    "buildpack.toml: api is required",
  ],
  // buildpack.toml: [buildpack]
  ["missing [buildpack]", () => parseBuildpackToml(`api = "0.12"\n`), "buildpack.toml: [buildpack] is required"],
  [
    "[buildpack] not a table",
    () => parseBuildpackToml(`api = "0.12"\nbuildpack = "x"\n`),
    `buildpack.toml: [buildpack] must be a table, not string "x"`,
  ],
  [
    "id with bad characters",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = "My BP!"\nversion = "1.0.0"\n`),
    `buildpack.toml: [buildpack].id "My BP!" may only contain letters, digits, '.', '/' and '-'`,
  ],
  [
    "reserved id config",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = "config"\nversion = "1.0.0"\n`),
    `buildpack.toml: [buildpack].id "config" is reserved (app, config, generated and sbom are not allowed)`,
  ],
  [
    "empty id",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = ""\nversion = "1.0.0"\n`),
    "buildpack.toml: [buildpack].id must not be empty",
  ],
  [
    "missing id",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nversion = "1.0.0"\n`),
    "buildpack.toml: [buildpack].id is required",
  ],
  [
    "missing version",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = "a"\n`),
    "buildpack.toml: [buildpack].version is required",
  ],
  [
    "version as an integer",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = "a"\nversion = 1\n`),
    "buildpack.toml: [buildpack].version must be a string, not integer 1",
  ],
  [
    "version not semver",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack]\nid = "a"\nversion = "1.0"\n`),
    `buildpack.toml: [buildpack].version "1.0" must be a semantic version such as 1.2.3`,
  ],
  ["name as a boolean", bp(`name = true\n`), "buildpack.toml: [buildpack].name must be a string, not boolean true"],
  [
    "homepage as a table",
    bp(`homepage = { url = "x" }\n`),
    "buildpack.toml: [buildpack].homepage must be a string, not a table",
  ],
  [
    "keywords as a string",
    bp(`keywords = "node"\n`),
    `buildpack.toml: [buildpack].keywords must be an array of strings, not string "node"`,
  ],
  [
    "keywords with a number",
    bp(`keywords = ["node", 2]\n`),
    "buildpack.toml: [buildpack].keywords[1] must be a string, not integer 2",
  ],
  [
    "licenses as a string",
    bp(`licenses = "MIT"\n`),
    `buildpack.toml: [[buildpack.licenses]] must be an array of tables, not string "MIT"`,
  ],
  [
    "license without type or uri",
    bp(`[[buildpack.licenses]]\n`),
    "buildpack.toml: [[buildpack.licenses]][0] needs a type or a uri",
  ],
  [
    "license uri as a number",
    bp(`[[buildpack.licenses]]\ntype = "MIT"\nuri = 1\n`),
    "buildpack.toml: [[buildpack.licenses]][0].uri must be a string, not integer 1",
  ],
  [
    "clear-env as a string",
    bp(`clear-env = "yes"\n`),
    `buildpack.toml: [buildpack].clear-env must be a boolean, not string "yes"`,
  ],
  [
    "unknown sbom format",
    bp(`sbom-formats = ["application/json"]\n`),
    `buildpack.toml: [buildpack].sbom-formats[0] "application/json" is not a known SBOM media type (known: application/vnd.cyclonedx+json, application/spdx+json, application/vnd.syft+json)`,
  ],
  [
    "exec-env before api 0.12",
    bp(`exec-env = ["production"]\n`, "0.11"),
    `buildpack.toml: [buildpack].exec-env needs api "0.12" or newer (this file declares api "0.11")`,
  ],
  [
    "exec-env with '/'",
    bp(`exec-env = ["prod/eu"]\n`),
    `buildpack.toml: [buildpack].exec-env[0] "prod/eu" must not contain '/'`,
  ],
  [
    "target os as a number",
    bp(`[[targets]]\nos = 1\n`),
    "buildpack.toml: [[targets]][0].os must be a string, not integer 1",
  ],
  [
    "target distros as a string",
    bp(`[[targets]]\nos = "linux"\ndistros = "ubuntu"\n`),
    `buildpack.toml: [[targets]][0].distros must be an array of tables, not string "ubuntu"`,
  ],
  [
    "distro version as a float",
    bp(`[[targets]]\n[[targets.distros]]\nname = "ubuntu"\nversion = 22.04\n`),
    "buildpack.toml: [[targets]][0].distros[0].version must be a string, not float 22.04",
  ],
  [
    "empty order group",
    bp(`[[order]]\ngroup = []\n`),
    "buildpack.toml: [[order]][0].group must list at least one buildpack",
  ],
  [
    "order entry with a bad id",
    bp(`[[order]]\n[[order.group]]\nid = "a"\n[[order.group]]\nid = "Bad Id"\n`),
    `buildpack.toml: [[order]][0].group[1].id "Bad Id" may only contain letters, digits, '.', '/' and '-'`,
  ],
  [
    "order entry with reserved id",
    bp(`[[order]]\n[[order.group]]\nid = "app"\n`),
    `buildpack.toml: [[order]][0].group[0].id "app" is reserved (app, config, generated and sbom are not allowed)`,
  ],
  [
    "order entry without id",
    bp(`[[order]]\n[[order.group]]\nversion = "1.0.0"\n`),
    "buildpack.toml: [[order]][0].group[0].id is required",
  ],
  [
    "order optional as a string",
    bp(`[[order]]\n[[order.group]]\nid = "a"\noptional = "yes"\n`),
    `buildpack.toml: [[order]][0].group[0].optional must be a boolean, not string "yes"`,
  ],
  [
    "stacks with order",
    bp(`[[order]]\n[[order.group]]\nid = "a"\n[[stacks]]\nid = "*"\n`),
    "buildpack.toml: [[stacks]] must not be used together with [[order]] (a composite buildpack has no stacks)",
  ],
  [
    "metadata as a string",
    () => parseBuildpackToml(`metadata = "x"\n${head}`),
    `buildpack.toml: [metadata] must be a table, not string "x"`,
  ],
  // TOML syntax
  [
    "unclosed table header",
    () => parseBuildpackToml(`api = "0.12"\n[buildpack\nid = "a"\n`),
    "buildpack.toml:2:11: invalid TOML: illegal character in key",
  ],
  [
    "duplicate key",
    () => parseBuildpackToml(`api = "0.12"\napi = "0.11"\n`),
    "buildpack.toml:2:1: invalid TOML: trying to redefine an already defined table or value",
  ],
  [
    "integer beyond 2^53",
    () => parseStoreToml(`[metadata]\nsize = 9007199254740993\n`, "store.toml"),
    "store.toml:2:8: invalid TOML: integer value cannot be represented losslessly",
  ],
  // build plan
  [
    "provides as a string",
    plan(`provides = "node"\n`),
    `plan.toml: [[provides]] must be an array of tables, not string "node"`,
  ],
  ["requires without name", plan(`[[requires]]\nversion_hint = 1\n`), "plan.toml: [[requires]][0].name is required"],
  [
    "requires metadata as a string",
    plan(`[[requires]]\nname = "node"\nmetadata = "24"\n`),
    `plan.toml: [[requires]][0].metadata must be a table, not string "24"`,
  ],
  [
    "or.requires name as a number",
    plan(`[[or]]\n[[or.requires]]\nname = 5\n`),
    "plan.toml: [[or]][0].requires[0].name must be a string, not integer 5",
  ],
  [
    "requires with a top-level version",
    plan(`[[requires]]\nname = "node"\nversion = "24"\n`),
    "plan.toml: [[requires]][0].version is not supported; put the version in metadata",
  ],
  ["or as a table", plan(`[or]\nx = 1\n`), "plan.toml: [[or]] must be an array of tables, not a table"],
  [
    "buildpack plan entry with empty name",
    () => parseBuildpackPlan(`[[entries]]\nname = ""\n`, "plan.toml"),
    "plan.toml: [[entries]][0].name must not be empty",
  ],
  [
    "buildpack plan entries not tables",
    () => parseBuildpackPlan(`entries = ["node"]\n`, "plan.toml"),
    `plan.toml: [[entries]][0] must be a table, not string "node"`,
  ],
  // launch.toml
  [
    "duplicate process types",
    launch(web + web),
    `launch.toml: [[processes]][1].type "web" is already used by [[processes]][0]`,
  ],
  [
    "two default processes",
    launch(`${web}default = true\n[[processes]]\ntype = "worker"\ncommand = ["w"]\ndefault = true\n`),
    "launch.toml: [[processes]][1].default is true, but [[processes]][0] is already the default (only one may be)",
  ],
  [
    "empty command",
    launch(`[[processes]]\ntype = "web"\ncommand = []\n`),
    "launch.toml: [[processes]][0].command must not be empty",
  ],
  [
    "command as a string",
    launch(`[[processes]]\ntype = "web"\ncommand = "npm start"\n`),
    `launch.toml: [[processes]][0].command must be an array of strings, not string "npm start"`,
  ],
  [
    "empty executable",
    launch(`[[processes]]\ntype = "web"\ncommand = ["", "x"]\n`),
    "launch.toml: [[processes]][0].command[0] must not be empty (it names the executable)",
  ],
  ["missing command", launch(`[[processes]]\ntype = "web"\n`), "launch.toml: [[processes]][0].command is required"],
  [
    "bad process type",
    launch(`[[processes]]\ntype = "web app"\ncommand = ["x"]\n`),
    `launch.toml: [[processes]][0].type "web app" may only contain letters, digits, '.', '_' and '-'`,
  ],
  [
    "default as a string",
    launch(`${web}default = "true"\n`),
    `launch.toml: [[processes]][0].default must be a boolean, not string "true"`,
  ],
  [
    "args with a number",
    launch(`${web}args = ["--port", 8080]\n`),
    "launch.toml: [[processes]][0].args[1] must be a string, not integer 8080",
  ],
  [
    "working-dir empty",
    launch(`${web}working-dir = ""\n`),
    "launch.toml: [[processes]][0].working-dir must not be empty",
  ],
  [
    "legacy direct",
    launch(`${web}direct = true\n`),
    "launch.toml: [[processes]][0].direct is not supported since Buildpack API 0.9",
  ],
  [
    "duplicate label keys",
    launch(`[[labels]]\nkey = "a"\nvalue = "1"\n[[labels]]\nkey = "a"\nvalue = "2"\n`),
    `launch.toml: [[labels]][1].key "a" is already used by [[labels]][0]`,
  ],
  ["label without value", launch(`[[labels]]\nkey = "a"\n`), "launch.toml: [[labels]][0].value is required"],
  [
    "slice escaping the app dir",
    launch(`[[slices]]\npaths = ["public/../../etc"]\n`),
    `launch.toml: [[slices]][0].paths[0] "public/../../etc" points outside the app directory`,
  ],
  [
    "stringify with an invalid process",
    () => stringifyLaunchToml({ processes: [{ type: "a:b", command: ["x"] }] }),
    `launch.toml: [[processes]][0].type "a:b" may only contain letters, digits, '.', '_' and '-'`,
  ],
  // <layer>.toml
  [
    "[types] launch as a string",
    layer(`[types]\nlaunch = "yes"\n`),
    `node.toml: [types].launch must be a boolean, not string "yes"`,
  ],
  [
    "[types] cache as an integer",
    layer(`[types]\ncache = 1\n`),
    "node.toml: [types].cache must be a boolean, not integer 1",
  ],
  ["types as a boolean", layer(`types = true\n`), "node.toml: [types] must be a table, not boolean true"],
  ["types at top level", layer(`launch = true\n`), "node.toml: launch must be under [types]"],
  ["layer metadata as an array", layer(`metadata = [1]\n`), "node.toml: [metadata] must be a table, not an array"],
  [
    "stringify with a non-boolean type",
    () =>
      stringifyLayerToml({ types: { build: "yes" as unknown as boolean, launch: false, cache: false }, metadata: {} }),
    `layer.toml: [types].build must be a boolean, not string "yes"`,
  ],
  // layer names
  [
    "reserved layer name",
    () => validateLayerName("launch", "layers: name"),
    `layers: name "launch" is reserved (build, launch and store name the buildpack's own TOML files)`,
  ],
  ["layer name with '/'", () => validateLayerName("a/b", "layers: name"), `layers: name "a/b" must not contain '/'`],
  ["empty layer name", () => validateLayerName("", "layers: name"), "layers: name must not be empty"],
  // build.toml and store.toml
  [
    "unmet without name",
    () => parseBuildToml(`[[unmet]]\n`, "build.toml"),
    "build.toml: [[unmet]][0].name is required",
  ],
  [
    "store metadata as a string",
    () => parseStoreToml(`metadata = "x"\n`, "store.toml"),
    `store.toml: [metadata] must be a table, not string "x"`,
  ],
];

describe("bad input gives one CnbError line naming file and field", () => {
  test("there are at least 30 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  test.each(cases)("%s", (_label, run, expected) => {
    let caught: unknown;
    try {
      run();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CnbError);
    const message = (caught as CnbError).message;
    expect(message).not.toContain("\n");
    if (typeof expected === "string") expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  test("a quoted-api mistake comes with a hint line", () => {
    try {
      parseBuildpackToml(`api = 0.12\n`);
      expect.unreachable();
    } catch (err) {
      expect((err as CnbError).hint).toBe('write it quoted: api = "0.12"');
    }
  });
});
