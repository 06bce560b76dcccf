//go:build ignore

// Makes exporter-layer.tar.gz (dir-layer-scan.test.ts) with the lifecycle's own code: the tar
// its exporter writes of /layers/acme_bp/tools (layers.Factory.DirLayer, uid and gid 1000).
// The tree is the test's buildpackLayer(root) (without su-ish and to-su for
// exporter-layer-clean.tar.gz). Build this with a go.mod requiring
// github.com/buildpacks/lifecycle v0.21.17 (CGO_ENABLED=0), then, as root:
//
//	cp prog root/ && mkdir root/out && chroot root /prog && gzip -n -9 -c 'root/out/acme_bp:tools.tar' > exporter-layer.tar.gz
package main

import (
	"fmt"
	"os"

	"github.com/buildpacks/lifecycle/layers"
)

func main() {
	f := &layers.Factory{ArtifactsDir: "/out", UID: 1000, GID: 1000}
	l, err := f.DirLayer("acme/bp:tools", "/layers/acme_bp/tools", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(l.Digest, l.TarPath)
}
