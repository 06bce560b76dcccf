// Command referrers-registry serves go-containerregistry's registry (pkg/registry) with the
// OCI 1.1 referrers API turned on, on 127.0.0.1:<port>. Tests use it because no registry in
// reach serves that API: Debian's docker-registry (2.8) and the distribution registry 3.x do
// not, and the Go module proxy here refuses zot and olareg. Blobs and manifests live in memory.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("address", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalln(err)
	}
	// The tests read the port from this line.
	fmt.Printf("serving on %s\n", listener.Addr().String())
	server := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler:           registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", 0))),
	}
	log.Fatalln(server.Serve(listener))
}
