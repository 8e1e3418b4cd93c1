package graceful_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/zerodrop/zerodrop/pkg/graceful"
)

// A server that fails readiness on SIGTERM, serves on for 5 s while the load
// balancer lets go, then gives requests in flight 10 s to finish.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") })

	srv := &http.Server{Addr: ":8080", Handler: mux}
	g := graceful.New(srv, graceful.Options{
		DrainDelay:      5 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		Logf:            log.Printf,
	})
	mux.Handle("/readyz", g.ReadinessHandler())
	mux.Handle("/livez", g.LivenessHandler())

	if false { // not run by go test: it would wait for a signal
		if err := g.Run(context.Background()); err != nil {
			log.Fatal(err)
		}
	}
}
