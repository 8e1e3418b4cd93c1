// Command echoserver is a small HTTP server that shuts down without dropping
// requests, built on package graceful. It answers every path with a JSON
// description of the request and of the pod that served it, which makes it
// handy as the target of `zerodrop verify` during a rollout.
//
//	GET /anything      → 200 {"pod": ..., "method": ..., "path": ..., ...}
//	GET /slow?d=2s     → the same, after a while (a long request to drain)
//	GET /readyz        → 200 while ready; 503 from SIGTERM on
//	GET /livez         → 200 while the process runs
//
// Flags (or the environment variables in brackets):
//
//	-addr :8080             listen address [ADDR]
//	-drain-delay 5s         serve on after SIGTERM [DRAIN_DELAY]
//	-shutdown-timeout 10s   time for requests in flight [SHUTDOWN_TIMEOUT]
//	-startup-delay 0s       stay unready this long after start [STARTUP_DELAY]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/zerodrop/zerodrop/pkg/graceful"
)

func main() {
	addr := flag.String("addr", envOr("ADDR", ":8080"), "listen address")
	drain := flag.Duration("drain-delay", envDuration("DRAIN_DELAY", graceful.DefaultDrainDelay), "keep serving this long after SIGTERM, while the load balancer lets go")
	shutdown := flag.Duration("shutdown-timeout", envDuration("SHUTDOWN_TIMEOUT", graceful.DefaultShutdownTimeout), "time requests in flight get to finish once the listener is closed")
	startup := flag.Duration("startup-delay", envDuration("STARTUP_DELAY", 0), "fail readiness this long after start, like an application that warms up")
	flag.Parse()

	logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
	pod, _ := os.Hostname()

	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 || d > 5*time.Minute {
			http.Error(w, "d: want a duration up to 5m, such as 2s", http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		echo(w, r, pod)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { echo(w, r, pod) })

	srv := &http.Server{Addr: *addr, Handler: mux}
	g := graceful.New(srv, graceful.Options{
		DrainDelay:      *drain,
		ShutdownTimeout: *shutdown,
		NotReadyAtStart: *startup > 0,
		Logf:            logger.Printf,
	})
	mux.Handle("/readyz", g.ReadinessHandler())
	mux.Handle("/livez", g.LivenessHandler())
	if *startup > 0 {
		time.AfterFunc(*startup, func() { g.SetReady(true) })
	}

	logger.Printf("echoserver %s listening on %s (drain delay %v, shutdown timeout %v)", pod, *addr, *drain, *shutdown)
	g.Main()
}

func echo(w http.ResponseWriter, r *http.Request, pod string) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"pod":    pod,
		"method": r.Method,
		"host":   r.Host,
		"path":   r.URL.Path,
		"query":  r.URL.RawQuery,
		"proto":  r.Proto,
		"remote": r.RemoteAddr,
		"time":   time.Now().UTC().Format(time.RFC3339Nano),
	})
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echoserver: %s=%q: %v\n", name, v, err)
		os.Exit(2)
	}
	return d
}
