package verify

// Measure without the CLI: real HTTP servers on 127.0.0.1 and real
// traffic. The disruption here is a scripted one (the engine's own
// interface, not a stand-in for a cluster): it pins how the engine times the
// warm-up, the event and the settling; pkg/verify/rollout runs Measure with
// the real Deployment disruption on a real control plane.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
)

func traffic(url string, rate float64, d time.Duration) loadgen.Config {
	return loadgen.Config{URL: url, Method: "GET", Rate: rate, Duration: d, MaxConcurrency: 20, Timeout: 2 * time.Second}
}

// TestMeasureTraffic: a run of 50 requests against a server that answers
// 503 to ten of them records each one, streams the same run as JSON lines,
// and reports progress while it runs.
func TestMeasureTraffic(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if i := n.Add(1); i > 20 && i <= 30 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var records bytes.Buffer
	var mu sync.Mutex
	var reports [][2]int
	out, err := Measure(context.Background(), Options{
		Traffic:     traffic(srv.URL, 50, time.Second),
		MaxErrors:   3,
		OpenRecords: func() (io.Writer, error) { return &records, nil },
		Progress: func(done, failed int) {
			mu.Lock()
			reports = append(reports, [2]int{done, failed})
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	run := out.Run
	failed := 0
	for _, r := range run.Requests {
		if r.Failed() {
			failed++
		}
	}
	if len(run.Requests) != 50 || failed != 10 || n.Load() != 50 || run.End == nil || run.End.Interrupted || out.DisruptionErr != nil {
		t.Fatalf("%d requests, %d failed, server saw %d, end %+v", len(run.Requests), failed, n.Load(), run.End)
	}
	if run.Meta.MaxErrors != 3 || run.Meta.DurationS != 1 || run.Meta.Rollout != "" {
		t.Errorf("meta %+v", run.Meta)
	}
	if rep := Build(run); rep.Passed || rep.Requests.Failed != 10 || rep.Errors["http_503"] != 10 {
		t.Errorf("report %+v", rep)
	}
	again, err := Read(&records)
	if err != nil || len(again.Requests) != 50 || again.End == nil {
		t.Fatalf("records read back: %v, %d requests", err, len(again.Requests))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) < 2 || reports[0] != [2]int{0, 0} {
		t.Fatalf("progress reports %v; want the start and at least one tick", reports)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i][0] < reports[i-1][0] || reports[i][1] > reports[i][0] {
			t.Errorf("progress went back or failed > done: %v", reports)
		}
	}
}

// TestMeasureInterrupt: cancelling ctx stops the traffic, waits for the
// requests in flight, and marks the run interrupted.
func TestMeasureInterrupt(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		served.Add(1)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	t0 := time.Now()
	out, err := Measure(ctx, Options{Traffic: traffic(srv.URL, 100, 20*time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("stopping took %v", d)
	}
	if e := out.Run.End; !e.Interrupted || e.Reason != "interrupted" {
		t.Errorf("end %+v", e)
	}
	if n := len(out.Run.Requests); n < 20 || n > 80 || int64(n) != served.Load() {
		t.Errorf("%d requests recorded, server saw %d", n, served.Load())
	}
}

// script is a disruption that emits an event when started and settles
// after a delay, or fails.
type script struct {
	settleAfter time.Duration
	fail        error
	watchErr    error

	emit              func(Event)
	done              chan struct{}
	started, stopped  atomic.Bool
	startedAt, doneAt time.Time
}

func (s *script) Watch(ctx context.Context, emit func(Event)) error {
	if s.watchErr != nil {
		return s.watchErr
	}
	s.emit, s.done = emit, make(chan struct{})
	return nil
}
func (s *script) Workload() (string, string) { return "shop", "deployment/web" }
func (s *script) Start(ctx context.Context) error {
	s.started.Store(true)
	s.startedAt = time.Now()
	s.emit(Event{At: s.startedAt, Kind: "rollout", Object: "deployment/web", Reason: "restart"})
	time.AfterFunc(s.settleAfter, func() {
		s.doneAt = time.Now()
		s.emit(Event{At: s.doneAt, Kind: "rollout", Object: "deployment/web", Reason: "settled"})
		close(s.done)
	})
	return nil
}
func (s *script) Done() <-chan struct{} { return s.done }
func (s *script) Err() error            { return s.fail }
func (s *script) Stop()                 { s.stopped.Store(true) }

// TestMeasureDisruption: the traffic warms up, the disruption starts, and
// the traffic goes on for Settle after it has settled; its events are on
// the run's timeline.
func TestMeasureDisruption(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	d := &script{settleAfter: 300 * time.Millisecond}
	out, err := Measure(context.Background(), Options{Traffic: traffic(srv.URL, 50, time.Hour), Disruption: d,
		Warmup: 200 * time.Millisecond, Settle: 300 * time.Millisecond, Limit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	run := out.Run
	if !d.started.Load() || !d.stopped.Load() || out.DisruptionErr != nil || run.End.Interrupted {
		t.Fatalf("started %v, stopped %v, err %v, end %+v", d.started.Load(), d.stopped.Load(), out.DisruptionErr, run.End)
	}
	if run.Meta.Rollout != "deployment/web" || run.Meta.Namespace != "shop" || run.Meta.DurationS != 0 {
		t.Errorf("meta %+v", run.Meta)
	}
	if w := d.startedAt.Sub(run.Meta.Start); w < 150*time.Millisecond {
		t.Errorf("disruption started %v into the run, warm-up 200ms", w)
	}
	if s := run.End.At.Sub(d.doneAt); s < 250*time.Millisecond {
		t.Errorf("traffic stopped %v after the disruption settled, settle 300ms", s)
	}
	var reasons []string
	for _, e := range run.Events {
		reasons = append(reasons, e.Reason)
	}
	if strings.Join(reasons, " ") != "restart settled" {
		t.Errorf("events %v", reasons)
	}
	if n := len(run.Requests); n < 25 || n > 60 {
		t.Errorf("%d requests in about 0.8 s at 50 rps", n)
	}
}

// TestMeasureDisruptionFails: a disruption that fails, or does not settle
// within Limit, ends the run with the reason; the traffic's record is kept.
func TestMeasureDisruptionFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	boom := errors.New("pods never became ready")
	out, err := Measure(context.Background(), Options{Traffic: traffic(srv.URL, 50, time.Hour),
		Disruption: &script{settleAfter: 50 * time.Millisecond, fail: boom}, Warmup: 50 * time.Millisecond, Settle: time.Hour, Limit: time.Minute})
	if err != nil || !errors.Is(out.DisruptionErr, boom) || out.Run.End.Reason != "rollout failed: "+boom.Error() || len(out.Run.Requests) == 0 {
		t.Errorf("failed disruption: err %v, outcome %v, end %+v", err, out.DisruptionErr, out.Run.End)
	}
	out, err = Measure(context.Background(), Options{Traffic: traffic(srv.URL, 50, time.Hour),
		Disruption: &script{settleAfter: time.Hour}, Warmup: 50 * time.Millisecond, Settle: time.Hour, Limit: 300 * time.Millisecond})
	if err != nil || out.DisruptionErr == nil || !strings.Contains(out.Run.End.Reason, "did not settle") {
		t.Errorf("unsettled disruption: err %v, outcome %v, end %+v", err, out.DisruptionErr, out.Run.End)
	}
}

// TestMeasureSetupErrors: what cannot start says which part failed, and a
// disruption that cannot watch sends nothing and opens no records.
func TestMeasureSetupErrors(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer srv.Close()
	opened := false
	_, err := Measure(context.Background(), Options{Traffic: traffic(srv.URL, 50, time.Second),
		Disruption:  &script{watchErr: errors.New("deployment/nope in shop: not found")},
		OpenRecords: func() (io.Writer, error) { opened = true; return io.Discard, nil }})
	var se *SetupError
	if !errors.As(err, &se) || se.Stage != StageDisruption || !strings.Contains(err.Error(), "deployment/nope") || opened {
		t.Errorf("watch failure: %v (opened records: %v)", err, opened)
	}
	_, err = Measure(context.Background(), Options{Traffic: traffic(srv.URL, 50, time.Second),
		OpenRecords: func() (io.Writer, error) { return nil, errors.New("read-only file system") }})
	if !errors.As(err, &se) || se.Stage != StageRecords {
		t.Errorf("records failure: %v", err)
	}
	cfg := traffic(srv.URL, 50, time.Second)
	cfg.Method = "BAD METHOD"
	out, err := Measure(context.Background(), Options{Traffic: cfg})
	if !errors.As(err, &se) || se.Stage != StageTraffic || out == nil || out.Run.End == nil {
		t.Errorf("traffic failure: %v", err)
	}
	if served.Load() != 0 {
		t.Errorf("a run that could not start sent %d requests", served.Load())
	}
}
