package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/fix"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kustomize"
	"github.com/zerodrop/zerodrop/pkg/load"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The simulate engine: Analysis says what to play (the cases of each
// variant, from manifests or the built-in scenario), Options how, and Play
// plays it into the Report that every output renders. It lives here, not in
// the command, so that a test or another program gets the same outcome
// from the same input without a command line.

// Analysis is the input of Play: the cases of each variant, in order, and
// what was assumed or went wrong while reading the input.
type Analysis struct {
	Sources []Source
	// Assumptions are what the input did not say (the Kubernetes version,
	// the timing profile, the built-in scenario); they open the report's.
	Assumptions []string
	// InputErrors are the documents that could not be read, with file and
	// line; the rest was still analyzed.
	InputErrors []load.InputError
}

// Source is one variant's cases: "current" and "fixed" for manifests, or
// a built-in variant ("naive-alb", ...).
type Source struct {
	Variant string
	Cases   []Case
}

// AnalyzeBuiltIn is the built-in scenario, the write-up's echoserver: the
// naive and the recommended configuration, each behind an ALB and an NLB.
func AnalyzeBuiltIn(copts check.Options) *Analysis {
	a := &Analysis{Assumptions: inputAssumptions(copts, true)}
	for _, v := range BuiltIn() {
		_, cases := Analyze(v.Load(copts.Load), copts)
		a.Sources = append(a.Sources, Source{v.Name, cases})
	}
	return a
}

// AnalyzeInputs reads the manifests copts names as check does (files,
// directories, stdin, Helm charts, kustomizations) into variant "current";
// with compare, also variant "fixed": the input as 'zerodrop fix' would
// leave it. Unreadable documents are in InputErrors, not the error; the
// error is fix's, or reading stdin.
func AnalyzeInputs(ctx context.Context, copts check.Options, compare bool) (*Analysis, error) {
	a := &Analysis{Assumptions: inputAssumptions(copts, false)}
	// Standard input can be read only once: keep it for fix too.
	var stdin []byte
	if slices.Contains(copts.Paths, "-") {
		var err error
		if stdin, err = io.ReadAll(copts.Stdin); err != nil {
			return nil, fmt.Errorf("reading stdin: %w", err)
		}
		copts.Stdin = bytes.NewReader(stdin)
	}
	lr := loadInputs(ctx, copts)
	if e := check.NoObjects(len(lr.Objects), copts); e != nil {
		lr.Errors = append(lr.Errors, *e)
	}
	a.InputErrors = lr.Errors
	_, cases := Analyze(lr, copts)
	a.Sources = append(a.Sources, Source{"current", cases})
	if compare {
		if stdin != nil {
			copts.Stdin = bytes.NewReader(stdin)
		}
		fixed, err := fixedInputs(ctx, copts, lr)
		if err != nil {
			return nil, err
		}
		_, cases := Analyze(fixed, copts)
		a.Sources = append(a.Sources, Source{"fixed", cases})
	}
	return a, nil
}

// loadInputs reads files, directories, stdin and kustomizations as check does.
func loadInputs(ctx context.Context, opts check.Options) *load.Result {
	lo := opts.Load
	lo.Prepare = inventory.Preparer(opts.Namespace)
	res := load.Paths(ctx, opts.Paths, opts.Stdin, lo)
	check.HintCharts(res.Errors)
	for _, c := range opts.Charts {
		res.Objects, res.Errors, res.Files = check.AppendChart(c, opts.Helm, lo, res.Objects, res.Errors, res.Files)
	}
	for _, k := range opts.Kustomizations {
		r := kustomize.Load(k, lo)
		res.Objects = append(res.Objects, r.Objects...)
		res.Errors = append(res.Errors, r.Errors...)
		res.Files += r.Files
	}
	return res
}

// fixedInputs is the input as 'zerodrop fix' would leave it: the files fix
// changes or creates, read from its dry run, and every other object as read.
func fixedInputs(ctx context.Context, copts check.Options, orig *load.Result) (*load.Result, error) {
	fr, err := fix.Run(ctx, fix.Options{Check: copts, DryRun: true})
	if err != nil {
		return nil, fmt.Errorf("--compare: %w", err)
	}
	lo := copts.Load
	lo.Prepare = inventory.Preparer(copts.Namespace)
	changed := map[string]bool{}
	out := &load.Result{}
	for _, fl := range fr.Files {
		changed[fl.Path] = true
		r := load.Bytes(fl.Path, fl.After, lo)
		out.Objects = append(out.Objects, r.Objects...)
		out.Errors = append(out.Errors, r.Errors...)
	}
	for _, o := range orig.Objects {
		if !changed[o.Pos.File] {
			out.Objects = append(out.Objects, o)
		}
	}
	return out, nil
}

func inputAssumptions(copts check.Options, builtIn bool) []string {
	var a []string
	if builtIn {
		a = append(a, "built-in scenario: the write-up's echoserver, naive and recommended, behind an ALB (its Ingress) and an NLB (an NLB Service instead)")
	}
	if copts.KubeVersion.Assumed {
		a = append(a, fmt.Sprintf("Kubernetes %s assumed; set --kube-version to change", copts.KubeVersion))
	}
	if copts.Timing == nil || copts.Timing.File == "" {
		a = append(a, "built-in timing presets; set --profile to use measured delays")
	} else {
		a = append(a, "timing profile "+copts.Timing.File)
	}
	return a
}

// Options say how Play plays an Analysis. Start from DefaultOptions: the
// zero value sends no traffic (RPS 0 is a valid choice, to watch the
// targets alone).
type Options struct {
	// Events are played for every case, in order.
	Events []Event
	// Seed makes the outcome reproducible byte for byte; Runs Monte Carlo
	// runs per result (percentiles when more than one), on up to Workers
	// goroutines (GOMAXPROCS when ≤ 0); the outcome does not depend on
	// Workers.
	Seed    uint64
	Runs    int
	Workers int
	// PlanSurges, when set, replaces the events by a plan per case: the
	// rollout's duration and peak pods for each of these maxSurge values.
	PlanSurges []intstr.IntOrString

	// What every case's parameters become; each one's default is the
	// manifest's or the model's.
	RPS float64
	// Replicas, when > 0, replaces the manifest's.
	Replicas int
	// Nodes, when > 0, replaces DefaultNodes.
	Nodes int
	// DrainNodes, when set, is how many nodes a drain empties at once
	// (default all); ScaleTo the replicas after a scale-in (default
	// DefaultScaleTo). Both are capped at what there is.
	DrainNodes, ScaleTo *int
	// App, when set, is what every app does on SIGTERM, overriding what
	// check assumes.
	App AppBehaviour
	// DurationMedian, when > 0, is the median request duration in seconds.
	DurationMedian float64
	// KeepAlive is the share of requests sent on a reused connection,
	// IdleRace the chance that one meets the app closing it as idle.
	KeepAlive, IdleRace float64
	// LBConnections, when > 0, is how many kept-alive connections the load
	// balancer holds to its targets at once (Params.Conns); 0 leaves the
	// requests in flight, the fewest that carry the traffic.
	LBConnections float64

	// Progress, when set, is called with the steps done (one per case and
	// event, or per plan) of the total, first with 0 before any, so that a
	// person can watch (the CLI draws a bar on a terminal).
	Progress func(done, total int)
}

// DefaultOptions are simulate's defaults: one rollout, one run, seed 1,
// and the built-in traffic.
func DefaultOptions() Options {
	return Options{Events: []Event{Rollout}, Seed: 1, Runs: 1, RPS: DefaultRPS, KeepAlive: DefaultKeepAlive}
}

// DurationError is a median request duration above a workload's longest
// request, which a log-normal capped there cannot have.
type DurationError struct {
	Workload    string
	Median, Max float64 // seconds
}

func (e *DurationError) Error() string {
	return fmt.Sprintf("the median request duration %gs is above the longest request of %s, %gs", e.Median, e.Workload, e.Max)
}

// Play simulates every case of a under opts and returns the report: one
// result per case and event (or one plan per case), in input order, with
// the assumptions of the input and of each case. A case that cannot be
// simulated is a skipped result, not an error; errors are a *DurationError,
// a plan's or the Monte Carlo's own, or ctx's.
func Play(ctx context.Context, a *Analysis, opts Options) (*Report, error) {
	rep := &Report{SchemaVersion: SchemaVersion, Seed: opts.Seed, Runs: opts.Runs, Results: []Result{}}
	rep.Assumptions = append([]string(nil), a.Assumptions...)
	plan := opts.PlanSurges != nil
	total := 0
	for _, src := range a.Sources {
		total += len(src.Cases)
	}
	if !plan {
		total *= len(opts.Events)
	}
	done := 0
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	progress()
	seen := map[string]bool{}
	for _, src := range a.Sources {
		for _, cs := range src.Cases {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			opts.apply(&cs.Params)
			if pr := &cs.Params; pr.DurationMedian > pr.DurationMax {
				return nil, &DurationError{Workload: cs.Workload, Median: pr.DurationMedian, Max: pr.DurationMax}
			}
			for _, as := range cs.Assumptions(string(opts.App)) {
				if !seen[as] {
					seen[as] = true
					rep.Assumptions = append(rep.Assumptions, as)
				}
			}
			if plan {
				pl, err := MakePlan(cs, src.Variant, opts.PlanSurges, opts.Seed, opts.Runs, opts.Workers)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", cs.Workload, err)
				}
				rep.Plans = append(rep.Plans, pl)
				done++
				progress()
				continue
			}
			for _, ev := range opts.Events {
				done++
				progress()
				one := cs
				one.Params.Event = ev
				if one.Skip != "" {
					rep.Results = append(rep.Results, Skipped(one, src.Variant))
					continue
				}
				if err := one.Params.Validate(); err != nil {
					one.Skip = err.Error()
					rep.Results = append(rep.Results, Skipped(one, src.Variant))
					continue
				}
				s, err := MonteCarlo(one.Params, opts.Seed, opts.Runs, opts.Workers)
				if err != nil {
					return nil, err
				}
				rep.Results = append(rep.Results, NewResult(one, src.Variant, s))
			}
		}
	}
	return rep, nil
}

// apply puts the overrides into a case's parameters.
func (o Options) apply(p *Params) {
	if o.Replicas > 0 {
		p.Replicas = o.Replicas
	}
	p.RPS = o.RPS
	p.Nodes = DefaultNodes(p)
	if o.Nodes > 0 {
		p.Nodes = o.Nodes
	}
	p.DrainNodes = p.Nodes
	if o.DrainNodes != nil && *o.DrainNodes >= 0 {
		p.DrainNodes = min(*o.DrainNodes, p.Nodes)
	}
	p.ScaleTo = DefaultScaleTo(p.Replicas)
	if o.ScaleTo != nil && *o.ScaleTo >= 0 {
		p.ScaleTo = min(*o.ScaleTo, p.Replicas)
	}
	if o.App != "" {
		p.App = o.App
	}
	if o.DurationMedian > 0 {
		p.DurationMedian = o.DurationMedian
	}
	p.KeepAlive = o.KeepAlive
	p.IdleRace = o.IdleRace
	if o.LBConnections > 0 {
		p.Conns = o.LBConnections
	}
}
