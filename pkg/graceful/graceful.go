// Package graceful runs an http.Server so that a rolling update behind a load
// balancer drops no requests.
//
// On SIGTERM (or SIGINT) a Server:
//
//  1. fails its readiness handler at once, so Kubernetes marks the pod
//     unready and the load balancer's health checks start failing;
//  2. keeps serving for DrainDelay, because the load balancer goes on sending
//     new requests for a while after it has been told the target is going;
//     every response in this phase asks the client to close its connection
//     (HTTP/1.1 "Connection: close", HTTP/2 GOAWAY), so keep-alive clients
//     move to other targets without a failed request;
//  3. calls http.Server.Shutdown with a deadline of ShutdownTimeout: the
//     listeners close, idle connections close, and requests in flight finish;
//  4. returns nil when every request finished, or an error when the deadline
//     cut some off (Main turns these into exit codes 0 and 1).
//
// The liveness handler keeps answering 200 until the process exits: a pod
// that is draining must not be restarted by its liveness probe.
//
// Timing the manifest has to respect (see docs/graceful.md):
//
//	preStop + DrainDelay                      ≥ time the load balancer needs to stop sending
//	terminationGracePeriodSeconds             ≥ preStop + DrainDelay + ShutdownTimeout
//	load balancer idle timeout (ALB: 60 s)    < IdleTimeout (default 75 s)
package graceful

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults applied by New to zero Options fields and zero http.Server timeouts.
const (
	DefaultDrainDelay        = 5 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultIdleTimeout       = 75 * time.Second // above the ALB's 60 s default idle timeout
	DefaultReadHeaderTimeout = 10 * time.Second
)

// Options tune a Server. The zero value is usable.
type Options struct {
	// DrainDelay is how long the server keeps serving after the signal,
	// before it stops accepting connections. It covers the part of the load
	// balancer's deregistration that a preStop hook does not. Zero means
	// DefaultDrainDelay; a negative value means no delay.
	DrainDelay time.Duration

	// ShutdownTimeout bounds http.Server.Shutdown: how long requests in
	// flight get to finish after the listeners close. Zero means
	// DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Signals start the drain. Nil means SIGTERM and SIGINT. A second
	// signal during the drain skips what is left of DrainDelay.
	Signals []os.Signal

	// NotReadyAtStart keeps the readiness handler failing until SetReady(true)
	// is called, for applications that warm up after they listen. By default
	// the server is ready as soon as it listens.
	NotReadyAtStart bool

	// Logf, if set, receives one line per phase of the shutdown.
	Logf func(format string, args ...any)
}

// Server wraps an http.Server with readiness, liveness and a drain on SIGTERM.
type Server struct {
	srv  *http.Server
	opts Options

	ready    atomic.Bool // set by the application (SetReady)
	draining atomic.Bool // set once a stop was requested
	inFlight atomic.Int64

	stopOnce sync.Once
	stop     chan struct{} // closed by Drain
	hurry    chan struct{} // closed on a second signal: skip the rest of the delay
	hurryOne sync.Once
}

// New prepares srv to be run by Run, Serve or Main. It sets srv.IdleTimeout
// to DefaultIdleTimeout and srv.ReadHeaderTimeout to DefaultReadHeaderTimeout
// when they are zero, and wraps srv.Handler (http.DefaultServeMux when nil)
// so responses sent during the drain close their connection.
func New(srv *http.Server, opts Options) *Server {
	if opts.DrainDelay == 0 {
		opts.DrainDelay = DefaultDrainDelay
	}
	if opts.DrainDelay < 0 {
		opts.DrainDelay = 0
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if len(opts.Signals) == 0 {
		opts.Signals = []os.Signal{syscall.SIGTERM, os.Interrupt}
	}
	if srv.IdleTimeout == 0 {
		srv.IdleTimeout = DefaultIdleTimeout
	}
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	s := &Server{srv: srv, opts: opts, stop: make(chan struct{}), hurry: make(chan struct{})}
	s.ready.Store(!opts.NotReadyAtStart)
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv.Handler = s.wrap(h)
	return s
}

// HTTPServer returns the wrapped server.
func (s *Server) HTTPServer() *http.Server { return s.srv }

// SetReady marks the application ready (or not). The readiness handler
// answers 200 only when the application is ready and the server is not
// draining.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }

// Ready reports what the readiness handler would answer.
func (s *Server) Ready() bool { return s.ready.Load() && !s.draining.Load() }

// Draining reports whether a stop was requested.
func (s *Server) Draining() bool { return s.draining.Load() }

// InFlight is the number of requests being served right now.
func (s *Server) InFlight() int64 { return s.inFlight.Load() }

// Drain starts the shutdown sequence as a signal would. Calling it again
// skips what is left of the drain delay.
func (s *Server) Drain() {
	if !s.beginDrain() {
		s.hurryOne.Do(func() { close(s.hurry) })
	}
}

// beginDrain marks the server draining; it reports whether this call did.
func (s *Server) beginDrain() bool {
	first := false
	s.stopOnce.Do(func() {
		first = true
		s.draining.Store(true)
		close(s.stop)
	})
	return first
}

// ReadinessHandler answers 200 "ok" while ready, 503 "draining" or
// "not ready" otherwise. Point the pod's readinessProbe at it.
func (s *Server) ReadinessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case s.draining.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "draining")
		case !s.ready.Load():
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready")
		default:
			fmt.Fprintln(w, "ok")
		}
	})
}

// LivenessHandler answers 200 "ok" as long as the process serves HTTP, also
// while it drains. Point the pod's livenessProbe at it.
func (s *Server) LivenessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintln(w, "ok")
	})
}

// wrap counts requests in flight and, once draining, asks every client to
// close its connection after the response. Go's server turns the header into
// "Connection: close" for HTTP/1.1 and into a GOAWAY frame for HTTP/2.
func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// ErrShutdownTimeout is returned when requests were still in flight at the
// end of ShutdownTimeout and their connections were closed under them.
var ErrShutdownTimeout = errors.New("graceful: shutdown deadline passed with requests in flight")

// Run listens on srv.Addr (":http" when empty) and serves until a signal in
// Options.Signals or the end of ctx, then drains and shuts down. See Serve.
func (s *Server) Run(ctx context.Context) error {
	addr := s.srv.Addr
	if addr == "" {
		addr = ":http"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until a signal in Options.Signals arrives, Drain is
// called, or ctx ends; then it fails readiness, serves on for DrainDelay,
// and shuts down within ShutdownTimeout. It returns nil after a clean
// shutdown, ErrShutdownTimeout (wrapped) when in-flight requests were cut
// off, or the error that stopped the server from serving.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, s.opts.Signals...)
	defer signal.Stop(sigs)

	serveErr := make(chan error, 1)
	go func() {
		var err error
		if s.srv.TLSConfig != nil {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		serveErr <- err
	}()

	// Wait for the first stop request.
	select {
	case err := <-serveErr:
		// The server stopped on its own: a listener error.
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case sig := <-sigs:
		s.logf("graceful: %v received: readiness fails now, serving for %v more", sig, s.opts.DrainDelay)
	case <-s.stop:
		s.logf("graceful: drain requested: readiness fails now, serving for %v more", s.opts.DrainDelay)
	case <-ctx.Done():
		s.logf("graceful: context ended: readiness fails now, serving for %v more", s.opts.DrainDelay)
	}
	s.beginDrain()

	// Keep serving while the load balancer lets go. A second signal, or a
	// second Drain call, ends the wait early.
	if s.opts.DrainDelay > 0 {
		t := time.NewTimer(s.opts.DrainDelay)
		select {
		case <-t.C:
		case sig := <-sigs:
			s.logf("graceful: %v received again: shutting down now", sig)
		case <-s.hurry:
			s.logf("graceful: drain cut short: shutting down now")
		case err := <-serveErr:
			t.Stop()
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		}
		t.Stop()
	}

	s.logf("graceful: closing listeners; %d requests in flight get up to %v", s.inFlight.Load(), s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	<-serveErr // Serve returns ErrServerClosed at once; wait for it anyway
	if err != nil {
		n := s.inFlight.Load()
		s.srv.Close()
		s.logf("graceful: deadline passed, %d requests cut off", n)
		return fmt.Errorf("%w (%d requests)", ErrShutdownTimeout, n)
	}
	s.logf("graceful: all requests finished; stopped")
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// ExitCode maps Run's or Serve's error to a process exit code: 0 for a clean
// shutdown, 1 otherwise.
func ExitCode(err error) int {
	if err == nil {
		return 0
	}
	return 1
}

// Main runs srv with opts until a signal, then exits the process: 0 when
// every request finished, 1 when the shutdown deadline cut requests off or
// the server could not listen. It never returns. Use New and Server.Main
// instead to register the readiness handler first.
func Main(srv *http.Server, opts Options) {
	New(srv, opts).Main()
}

// Main runs the server (Run) until a signal, then exits the process with
// ExitCode of the result, after printing any error. It never returns.
func (s *Server) Main() {
	err := s.Run(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(ExitCode(err))
}
