// Package loadgen sends HTTP requests at a constant rate and records every
// one of them.
//
// Scheduling is open-loop: request i is due at start + i/rate whatever
// happened to the requests before it. When the target slows down the engine
// opens more connections (up to Config.MaxConcurrency) instead of waiting, and
// a request that still goes out late has its latency counted from the moment
// it was due, not from the moment it was sent. A slow or stalled backend
// therefore shows up in the latencies and the error counts instead of
// quietly lowering the rate (no coordinated omission).
package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes one run.
type Config struct {
	URL    string
	Method string      // default GET
	Header http.Header // Host in the header sets the request's Host
	Body   []byte

	// Rate is the number of requests per second; it must be positive.
	Rate float64
	// Duration is how long requests are scheduled; zero means until ctx ends.
	Duration time.Duration
	// MaxConcurrency caps requests in flight (and so connections). Zero means
	// DefaultMaxConcurrency.
	MaxConcurrency int
	// Timeout bounds one request, from the moment it is sent until its body
	// is read. Zero means DefaultTimeout.
	Timeout time.Duration
	// DisableKeepAlives opens a new connection for every request.
	DisableKeepAlives bool
	// Insecure skips TLS certificate verification.
	Insecure bool

	// Transport replaces the engine's own transport (tests, custom dialers).
	// The keep-alive, TLS and concurrency settings above then do not apply
	// to it.
	Transport http.RoundTripper
}

// Defaults for zero Config fields.
const (
	DefaultMaxConcurrency = 1000
	DefaultTimeout        = 10 * time.Second
)

// Result is the record of one request.
type Result struct {
	Seq uint64 // 0, 1, 2, ... in schedule order
	// Due is when the request was scheduled to start.
	Due time.Time
	// Delay is how late it was actually sent (zero or more).
	Delay time.Duration
	// Latency runs from Due to the end of the response body, or to the
	// error. It includes Delay.
	Latency time.Duration
	Status  int   // HTTP status, 0 when no response arrived
	Class   Class // ClassOK or the kind of failure
	Err     string
	Bytes   int64 // response body bytes read
}

// Failed reports whether the request counts as an error.
func (r *Result) Failed() bool { return r.Class != ClassOK }

// Stats sums up a run.
type Stats struct {
	Start    time.Time     // when slot 0 was due
	Sent     uint64        // requests sent (each has a Result)
	LastSent time.Duration // when the last request went out, after Start
	// Achieved is Sent over the time it took to send them, measured like the
	// target: Sent / (LastSent + 1/Rate).
	Achieved    float64
	MaxInFlight int64
	Interrupted bool // ctx ended before Duration
}

// Run sends requests as cfg says until cfg.Duration has passed or ctx ends,
// waits for those in flight (each within its timeout), and returns. out is
// called once per request, never from two goroutines at once; it must not
// block for long. Requests in flight when ctx ends are completed, not
// cancelled, so every request sent has a true result.
func Run(ctx context.Context, cfg Config, out func(Result)) (Stats, error) {
	if cfg.Rate <= 0 {
		return Stats{}, fmt.Errorf("loadgen: rate must be positive, got %v", cfg.Rate)
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	proto, err := http.NewRequest(cfg.Method, cfg.URL, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("loadgen: %w", err)
	}
	if proto.URL.Scheme != "http" && proto.URL.Scheme != "https" {
		return Stats{}, fmt.Errorf("loadgen: URL %q: scheme must be http or https", cfg.URL)
	}
	proto.Header = cfg.Header.Clone()
	if proto.Header == nil {
		proto.Header = http.Header{}
	}
	if h := proto.Header.Get("Host"); h != "" {
		proto.Host = h
		proto.Header.Del("Host")
	}

	tr := cfg.Transport
	if tr == nil {
		own := NewTransport(cfg)
		defer own.CloseIdleConnections()
		tr = own
	}
	e := &engine{
		cfg:      cfg,
		client:   &http.Client{Transport: tr, CheckRedirect: noRedirect},
		proto:    proto,
		out:      out,
		interval: float64(time.Second) / cfg.Rate,
	}
	if cfg.Duration > 0 {
		e.total = uint64(cfg.Rate * cfg.Duration.Seconds())
	} else {
		e.total = ^uint64(0)
	}
	return e.run(ctx), nil
}

// NewTransport returns the transport Run uses by default for cfg: keep-alive
// on unless disabled, as many idle connections kept as requests may be in
// flight, HTTP/2 over TLS when the server offers it.
func NewTransport(cfg Config) *http.Transport {
	max := cfg.MaxConcurrency
	if max <= 0 {
		max = DefaultMaxConcurrency
	}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		DisableKeepAlives:     cfg.DisableKeepAlives,
		DisableCompression:    true,
		MaxIdleConns:          max,
		MaxIdleConnsPerHost:   max,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{InsecureSkipVerify: cfg.Insecure}, //nolint:gosec // opt-in by flag
	}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

type engine struct {
	cfg      Config
	client   *http.Client
	proto    *http.Request
	out      func(Result)
	interval float64 // ns between slots
	total    uint64  // slots to schedule

	start    time.Time
	sent     atomic.Uint64
	lastSent atomic.Int64 // ns after start
	workers  atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex // serialises out
}

// run dispatches the slots: it waits until each one is due and hands it to
// an idle worker, or starts a new worker when none is idle (up to the cap).
// Only when the cap is reached does a slot wait for a worker, and then its
// lateness is recorded.
func (e *engine) run(ctx context.Context) Stats {
	slots := make(chan uint64)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	e.start = time.Now()
	var i uint64
dispatch:
	for ; i < e.total; i++ {
		if wait := e.due(i) - time.Since(e.start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				break dispatch
			}
		} else if ctx.Err() != nil {
			break
		}
		select {
		case slots <- i:
			continue
		default:
		}
		if e.workers.Load() < int64(e.cfg.MaxConcurrency) {
			e.workers.Add(1)
			e.wg.Add(1)
			go e.worker(slots, i)
			continue
		}
		select {
		case slots <- i:
		case <-ctx.Done():
			break dispatch
		}
	}
	close(slots)
	e.wg.Wait()
	st := Stats{
		Start:       e.start.Round(0),
		Sent:        e.sent.Load(),
		LastSent:    time.Duration(e.lastSent.Load()),
		MaxInFlight: e.maxIn.Load(),
		Interrupted: i < e.total,
	}
	if st.Sent > 0 {
		st.Achieved = float64(st.Sent) / ((float64(st.LastSent) + e.interval) / float64(time.Second))
	}
	return st
}

// due returns when slot i is due, as an offset from start.
func (e *engine) due(i uint64) time.Duration {
	return time.Duration(float64(i) * e.interval)
}

func (e *engine) worker(slots <-chan uint64, first uint64) {
	defer e.wg.Done()
	e.do(first, e.due(first))
	for i := range slots {
		e.do(i, e.due(i))
	}
}

func (e *engine) do(seq uint64, due time.Duration) {
	in := e.inFlight.Add(1)
	for {
		m := e.maxIn.Load()
		if in <= m || e.maxIn.CompareAndSwap(m, in) {
			break
		}
	}
	sentAt := time.Since(e.start)
	e.sent.Add(1)
	for {
		l := e.lastSent.Load()
		if int64(sentAt) <= l || e.lastSent.CompareAndSwap(l, int64(sentAt)) {
			break
		}
	}

	res := Result{Seq: seq, Due: e.start.Add(due).Round(0)}
	if d := sentAt - due; d > 0 {
		res.Delay = d
	}
	// Requests get their own context: stopping the run must not turn the
	// requests already sent into errors.
	rctx, cancel := context.WithTimeout(context.Background(), e.cfg.Timeout)
	req := e.proto.Clone(rctx)
	if len(e.cfg.Body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(e.cfg.Body))
		req.ContentLength = int64(len(e.cfg.Body))
		body := e.cfg.Body
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := e.client.Do(req)
	if err == nil {
		res.Status = resp.StatusCode
		res.Bytes, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	cancel()
	res.Latency = time.Since(e.start) - due
	if err != nil {
		// A deadline hit while reading the body is still a timeout.
		if errors.Is(rctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		res.Class = Classify(err)
		res.Err = err.Error()
	} else {
		res.Class = StatusClass(res.Status)
	}
	e.inFlight.Add(-1)

	if e.out != nil {
		e.mu.Lock()
		e.out(res)
		e.mu.Unlock()
	}
}
