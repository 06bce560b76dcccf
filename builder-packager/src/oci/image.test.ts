import { describe, expect, test } from "vitest";
import { parseChallenge } from "./auth.js";
import { sha256 } from "./digest.js";
import {
  canonicalJson,
  imageConfig,
  imageManifest,
  jsonBlob,
  MEDIA_TYPES,
  parseManifest,
  selectPlatform,
} from "./image.js";

const D = (c: string) => `sha256:${c.repeat(64)}` as const;

describe("image data", () => {
  test("canonical JSON sorts keys at every level and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });

  test("the same config built twice has the same digest; created is fixed", () => {
    const make = () =>
      jsonBlob(
        imageConfig({
          architecture: "arm64",
          variant: "v8",
          diffIds: [D("1")],
          config: { Labels: { b: "2", a: "1" }, User: "cnb" },
        }),
        MEDIA_TYPES.config,
      );
    const a = make();
    expect(a.descriptor.digest).toBe(make().descriptor.digest);
    expect(a.descriptor.digest).toBe(sha256(a.bytes));
    const parsed = JSON.parse(a.bytes.toString());
    expect(parsed.created).toBe("1980-01-01T00:00:01Z");
    expect(parsed.variant).toBe("v8");
    expect(parsed.rootfs).toEqual({ type: "layers", diff_ids: [D("1")] });
  });

  test("manifests use OCI media types", () => {
    const m = imageManifest({ mediaType: MEDIA_TYPES.config, digest: D("c"), size: 10 }, [
      { mediaType: MEDIA_TYPES.layerGzip, digest: D("1"), size: 5 },
    ]);
    expect(m.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(m.layers[0]?.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
  });

  test("Docker v2 manifests and manifest lists are read", () => {
    const docker = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.dockerManifest,
        config: { mediaType: MEDIA_TYPES.dockerConfig, digest: D("c"), size: 1 },
        layers: [{ mediaType: MEDIA_TYPES.dockerLayerGzip, digest: D("1"), size: 2 }],
      }),
    );
    const p = parseManifest(docker);
    expect(p.kind).toBe("manifest");
    expect(p.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(p.digest).toBe(sha256(docker));
    const list = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: MEDIA_TYPES.dockerManifest,
            digest: D("a"),
            size: 1,
            platform: { os: "linux", architecture: "amd64" },
          },
          {
            mediaType: MEDIA_TYPES.dockerManifest,
            digest: D("b"),
            size: 1,
            platform: { os: "linux", architecture: "arm64", variant: "v8" },
          },
        ],
      }),
    );
    const l = parseManifest(list, `${MEDIA_TYPES.dockerManifestList}; charset=utf-8`);
    expect(l.kind).toBe("index");
    expect(l.mediaType).toBe(MEDIA_TYPES.dockerManifestList);
    if (l.kind === "index")
      expect(selectPlatform(l.index, { os: "linux", architecture: "arm64" })?.digest).toBe(D("b"));
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'))).toThrow(
      "manifest: schemaVersion 1 is not supported (need 2)",
    );
  });

  test("WWW-Authenticate challenges parse", () => {
    expect(
      parseChallenge('Bearer realm="https://auth.io/token",service="reg",scope="repository:a/b:pull,push"'),
    ).toEqual({
      scheme: "bearer",
      params: { realm: "https://auth.io/token", service: "reg", scope: "repository:a/b:pull,push" },
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: "basic", params: { realm: "x" } });
  });
});
