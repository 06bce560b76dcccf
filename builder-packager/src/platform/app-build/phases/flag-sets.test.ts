import { describe, expect, test } from "vitest";
import {
  atLeast,
  checkPlatformApi,
  defaultPlatformApi,
  type PhaseInputs,
  parseFlagSet,
  phaseCommands,
} from "./flag-sets.js";

const inputs: PhaseInputs = {
  platformApi: "0.9",
  appName: "cnbkit.local/app:latest",
  runName: "cnbkit.local/run:latest",
  cache: { dir: "/cache" },
  insecureRegistries: [],
  uid: 1000,
  gid: 1000,
  logLevel: "info",
  color: false,
  skipLayers: false,
};

describe("phaseCommands", () => {
  test("kpack: the build pod's flags, analyze first; a volume cache goes to restore and export only", () => {
    const byPhase = Object.fromEntries(phaseCommands("kpack", inputs).map((c) => [c.phase, c.args]));
    expect(Object.keys(byPhase)).toEqual(["analyze", "detect", "restore", "build", "export"]);
    expect(byPhase.analyze).toEqual([
      "/cnb/lifecycle/analyzer",
      "-layers=/layers",
      "-analyzed=/layers/analyzed.toml",
      "-run-image=cnbkit.local/run:latest",
      "cnbkit.local/app:latest",
    ]);
    expect(byPhase.detect).toEqual([
      "/cnb/lifecycle/detector",
      "-app=/workspace",
      "-group=/layers/group.toml",
      "-plan=/layers/plan.toml",
    ]);
    expect(byPhase.restore).toContain("-cache-dir=/cache");
    expect(byPhase.export).toContain("-project-metadata=/layers/project-metadata.toml");
    expect(byPhase.export?.at(-1)).toBe("cnbkit.local/app:latest");
  });

  test("kpack: a registry cache goes to the analyzer too", () => {
    const [analyze] = phaseCommands("kpack", { ...inputs, cache: { image: "127.0.0.1:5000/c" } });
    expect(analyze?.args).toContain("-cache-image=127.0.0.1:5000/c");
  });

  test("tekton: every flag, empty ones too, and -process-type web unless one is asked for", () => {
    const cmds = phaseCommands("tekton", { ...inputs, platformApi: "0.13" });
    const analyze = cmds[0]?.args ?? [];
    expect(analyze).toEqual(expect.arrayContaining(["-cache-image=", "-tag=", "-insecure-registry=", "-uid=1000"]));
    expect(cmds[2]?.args).toEqual(expect.arrayContaining(["-cache-dir=/cache", "-skip-layers=false"]));
    expect(cmds[2]?.args.some((a) => a.startsWith("-build-image"))).toBe(false);
    expect(cmds[4]?.args).toContain("-process-type=web");
    const worker = phaseCommands("tekton", { ...inputs, processType: "worker" })[4]?.args;
    expect(worker).toContain("-process-type=worker");
  });

  test("cnbkit: no -cache-dir for the analyzer (it has no such flag); -insecure-registry from 0.13 on", () => {
    const reg = { ...inputs, cache: { image: "localhost:5000/c" }, insecureRegistries: ["localhost:5000"] };
    const at14 = phaseCommands("cnbkit", { ...reg, platformApi: "0.14" });
    expect(phaseCommands("cnbkit", { ...inputs, platformApi: "0.14" })[0]?.args.join(" ")).not.toContain("-cache");
    expect(at14[0]?.args).toContain("-insecure-registry=localhost:5000");
    expect(phaseCommands("cnbkit", { ...reg, platformApi: "0.12" })[0]?.args.join(" ")).not.toContain("insecure");
    expect(at14[1]?.args).toEqual(at14[3]?.args.map((a) => a.replace("builder", "detector")));
  });
});

describe("Platform API checks", () => {
  const lifecycle = { version: "0.21.17", apis: ["0.7", "0.8", "0.9", "0.10", "0.11", "0.12", "0.13", "0.14", "0.15"] };

  test("each flag set's default is one it is written for", () => {
    expect(defaultPlatformApi("kpack")).toBe("0.9");
    expect(defaultPlatformApi("tekton")).toBe("0.13");
    expect(defaultPlatformApi("cnbkit")).toBe("0.14");
    for (const set of ["cnbkit", "kpack", "tekton"] as const) {
      expect(() => checkPlatformApi(set, defaultPlatformApi(set), lifecycle)).not.toThrow();
    }
  });

  test("by default, the highest API the flag set and the builder's lifecycle share", () => {
    expect(defaultPlatformApi("cnbkit", lifecycle.apis)).toBe("0.15");
    expect(defaultPlatformApi("cnbkit", ["0.12", "0.13", "0.14"])).toBe("0.14");
    expect(defaultPlatformApi("kpack", lifecycle.apis)).toBe("0.9");
    expect(defaultPlatformApi("kpack", ["0.7", "0.8"])).toBe("0.8");
    expect(defaultPlatformApi("tekton", lifecycle.apis)).toBe("0.13");
    // None shared: the set's own, which checkPlatformApi then refuses in one line.
    expect(defaultPlatformApi("cnbkit", ["0.7", "0.8"])).toBe("0.14");
  });

  test("an API the builder's lifecycle does not support is one line naming the ones it does", () => {
    expect(() => checkPlatformApi("cnbkit", "0.16", lifecycle)).toThrow(
      "--platform-api 0.16: the builder's lifecycle 0.21.17 supports Platform API 0.7, 0.8, 0.9, 0.10, 0.11, 0.12, 0.13, 0.14, 0.15; give one of those or use a builder with a newer lifecycle",
    );
  });

  test("an API outside the flag set's range, or no version at all, is one line", () => {
    expect(() => checkPlatformApi("tekton", "0.14", lifecycle)).toThrow(
      /tekton phase flags are written for Platform API 0\.13;/,
    );
    expect(() => checkPlatformApi("kpack", "0.10", undefined)).toThrow(/0\.7 to 0\.9/);
    expect(() => checkPlatformApi("cnbkit", "latest", lifecycle)).toThrow(/is not a Platform API version/);
  });

  test("versions compare by number, and --phase-flags takes only the known names", () => {
    expect(atLeast("0.10", "0.9")).toBe(true);
    expect(atLeast("0.9", "0.10")).toBe(false);
    expect(atLeast("1.0", "0.15")).toBe(true);
    expect(parseFlagSet("kpack")).toBe("kpack");
    expect(() => parseFlagSet("pack")).toThrow('--phase-flags "pack" is not one of cnbkit, kpack, tekton');
  });
});
