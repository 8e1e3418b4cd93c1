package verify

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
)

// Options say what one verify run does. The engine lives here, not in the
// command, so that any program (a test, the webhook's own checks, another
// tool) can run the same measurement and get the same record.
type Options struct {
	// Traffic is the request stream: URL, rate, concurrency, timeouts.
	// Its Duration is how long traffic runs without a Disruption; with one
	// the traffic runs until the disruption has settled and Settle has
	// passed, and Traffic.Duration is ignored.
	Traffic loadgen.Config
	// MaxErrors is how many failed requests the run allows before its
	// report fails; it goes into the record so that a report made again
	// from the record judges the same way.
	MaxErrors int

	// Disruption, when set, is the event timed inside the traffic: watched
	// from before the first request, started after Warmup, and followed by
	// Settle more traffic once it has settled. Nil only measures.
	Disruption Disruption
	// Warmup is the traffic before the disruption starts.
	Warmup time.Duration
	// Settle is the traffic after the disruption has settled.
	Settle time.Duration
	// Limit bounds a run with a disruption: if it has not settled by then
	// the run ends and the Outcome says why.
	Limit time.Duration

	// OpenRecords, when set, gives the writer that receives the meta line,
	// every request and event, and the end line as JSON lines while the
	// run goes on, so that a killed run still leaves what it saw ('zerodrop
	// verify report' reads them back). It is called once the disruption
	// watches and before the first request, so that a run that cannot
	// start (a wrong workload name) leaves no file behind. The caller
	// closes what it opened.
	OpenRecords func() (io.Writer, error)
	// Progress, when set, is called with the requests done and failed so
	// far when the traffic starts and about five times a second while it
	// runs, from one goroutine, so that a person can watch (the CLI draws
	// a bar on a terminal). It is never called once Measure has returned.
	Progress func(done, failed int)
}

// Disruption is the event a run times its traffic around: a restart, a
// scale-in or a node drain of a workload. pkg/verify/rollout provides it
// for Deployments; it is an interface here because rollout reports into
// this package's Events, so this package cannot import it.
type Disruption interface {
	// Watch starts watching the workload, its pods and endpoints, and
	// passes every change to emit. It is called before the first request,
	// so a wrong name costs no traffic.
	Watch(ctx context.Context, emit func(Event)) error
	// Workload names what is disrupted ("deployment/NAME") and its
	// namespace, for the record.
	Workload() (namespace, workload string)
	// Start starts the event, once the warm-up has passed.
	Start(ctx context.Context) error
	// Done is closed when the event has settled or failed; Err then says
	// which.
	Done() <-chan struct{}
	Err() error
	// Stop ends the watching.
	Stop()
}

// Outcome is what a run leaves.
type Outcome struct {
	// Run is the whole record; Build makes the report from it.
	Run *Run
	// DisruptionErr is why the disruption failed or did not settle within
	// Limit; nil when it settled or there was none. The traffic's record
	// is whole either way.
	DisruptionErr error
}

// SetupError is a run that could not start as asked. Callers treat it as
// bad input.
type SetupError struct {
	// Stage is what failed: StageDisruption (nothing was sent or
	// recorded), StageRecords (OpenRecords failed; nothing was sent) or
	// StageTraffic (the traffic generator refused its config: nothing was
	// sent, the records hold only the start and the end).
	Stage string
	Err   error
}

// The stages a SetupError names.
const (
	StageDisruption = "disruption"
	StageRecords    = "records"
	StageTraffic    = "traffic"
)

func (e *SetupError) Error() string { return e.Err.Error() }
func (e *SetupError) Unwrap() error { return e.Err }

// progressEvery is how often Options.Progress hears the counts.
const progressEvery = 200 * time.Millisecond

// Measure sends the traffic, times the disruption inside it, and records
// every request and event. It stops when the traffic's duration ends,
// when ctx is cancelled (Ctrl-C: the requests in flight are waited for and
// the run is marked interrupted), or, with a disruption, Settle after it has
// settled. Any error other than a *SetupError is the records writer's; the
// Outcome then still holds the whole run.
func Measure(ctx context.Context, opts Options) (*Outcome, error) {
	cfg := opts.Traffic
	d := opts.Disruption

	// The disruption's events may arrive before the recorder exists; they
	// are the state found when watching starts, which the recorder has no
	// use for before the first request.
	var recP atomic.Pointer[Recorder]
	if d != nil {
		cfg.Duration = 0
		if err := d.Watch(ctx, func(e Event) {
			if rec := recP.Load(); rec != nil {
				rec.Event(e)
			}
		}); err != nil {
			return nil, &SetupError{Stage: StageDisruption, Err: err}
		}
		defer d.Stop()
	}
	var records io.Writer
	if opts.OpenRecords != nil {
		var err error
		if records, err = opts.OpenRecords(); err != nil {
			return nil, &SetupError{Stage: StageRecords, Err: err}
		}
	}

	meta := Meta{Start: time.Now(), URL: cfg.URL, Method: cfg.Method, Rate: cfg.Rate, Concurrency: cfg.MaxConcurrency,
		TimeoutS: cfg.Timeout.Seconds(), KeepAlive: !cfg.DisableKeepAlives, MaxErrors: opts.MaxErrors}
	if d != nil {
		meta.Namespace, meta.Rollout = d.Workload()
	} else {
		meta.DurationS = cfg.Duration.Seconds()
	}
	rec := NewRecorder(meta, records)
	recP.Store(rec)

	// The traffic runs until its duration ends, ctx is cancelled, or —
	// with a disruption — Settle after it has settled.
	trafficCtx, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	var disruptErr error
	var interrupted bool
	finished := make(chan struct{}) // closed when the traffic has stopped
	orchestrated := make(chan struct{})
	go func() {
		defer close(orchestrated)
		defer stopTraffic()
		if d == nil {
			select {
			case <-ctx.Done():
				interrupted = true
			case <-finished:
			}
			return
		}
		interrupted, disruptErr = orchestrate(ctx, d, opts, finished)
	}()

	stopProgress := startProgress(rec, opts.Progress)
	var trafficErr error
	go func() {
		_, trafficErr = loadgen.Run(trafficCtx, cfg, rec.Result)
		close(finished)
	}()
	<-finished
	<-orchestrated
	stopProgress()

	end := End{At: time.Now(), Interrupted: interrupted}
	switch {
	case disruptErr != nil:
		end.Reason = "rollout failed: " + disruptErr.Error()
	case interrupted:
		end.Reason = "interrupted"
	}
	run, err := rec.Finish(end)
	out := &Outcome{Run: run, DisruptionErr: disruptErr}
	if err != nil {
		return out, err
	}
	if trafficErr != nil {
		return out, &SetupError{Stage: StageTraffic, Err: trafficErr}
	}
	return out, nil
}

// orchestrate waits out the warm-up, starts the disruption, waits for it to
// settle (at most opts.Limit from the start), then Settle more. It returns
// early when the traffic stops on its own or ctx is cancelled.
func orchestrate(ctx context.Context, d Disruption, opts Options, finished <-chan struct{}) (interrupted bool, err error) {
	limit := time.After(opts.Limit)
	select {
	case <-time.After(opts.Warmup):
		if err := d.Start(ctx); err != nil {
			return ctx.Err() != nil, err
		}
	case <-ctx.Done():
		return true, nil
	case <-finished:
		return false, nil
	}
	select {
	case <-d.Done():
		if err := d.Err(); err != nil {
			return false, err
		}
	case <-limit:
		// The limit is what the command calls --duration.
		return false, fmt.Errorf("the rollout did not settle within --duration %v", opts.Limit)
	case <-ctx.Done():
		return true, nil
	case <-finished:
		return false, nil
	}
	select {
	case <-time.After(opts.Settle):
	case <-ctx.Done():
		return true, nil
	case <-finished:
	}
	return false, nil
}

// startProgress calls report with the counts now and every progressEvery
// until the returned function is called.
func startProgress(rec *Recorder, report func(done, failed int)) func() {
	if report == nil {
		return func() {}
	}
	report(0, 0)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				report(rec.Counts())
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}
