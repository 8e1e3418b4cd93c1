package sim

import (
	"fmt"
	"math"
	"slices"

	"github.com/zerodrop/zerodrop/pkg/schema"
)

// SchemaVersion is the version of the JSON contract of Report. It changes
// only when a field is removed or changes meaning (2: delays are uniform
// ranges, min and max, without mode).
const SchemaVersion schema.Version = "2"

// Report is the outcome of `zerodrop simulate`: the JSON contract of -o json.
type Report struct {
	SchemaVersion schema.Version `json:"schemaVersion"`
	Seed          uint64         `json:"seed"`
	Runs          int            `json:"runs"`
	Results       []Result       `json:"results"`
	// Plans holds the --plan tables.
	Plans []Plan `json:"plans,omitempty"`
	// Assumptions lists what was assumed because the input did not say.
	Assumptions []string `json:"assumptions"`
}

// Result is one simulated (workload, variant, event).
type Result struct {
	Workload string `json:"workload"`
	// Exposure is the load balancer in front of the workload.
	Exposure string `json:"exposure"`
	// Variant is "current" or "fixed" (with --compare), or the name of a
	// built-in variant ("naive-alb", ...).
	Variant string `json:"variant"`
	Event   Event  `json:"event"`
	// Skipped says why the case was not simulated; nothing else is set.
	Skipped  string           `json:"skipped,omitempty"`
	Requests Requests         `json:"requests"`
	Failures map[string]int64 `json:"failures"`
	Causes   []CauseJSON      `json:"causes"`
	// RolloutSeconds is how long the event took, from its start until the
	// Deployment was complete (rollout), the removed pods were gone
	// (scale-in) or the drained pods were replaced (drain); null if it
	// never finished.
	RolloutSeconds           *float64 `json:"rolloutSeconds"`
	MinHealthyTargets        int      `json:"minHealthyTargets"`
	PeakPods                 int      `json:"peakPods"`
	ProgressDeadlineExceeded bool     `json:"progressDeadlineExceeded"`
	// Percentiles, over every run, when more than one ran.
	Percentiles *Percentiles `json:"percentiles,omitempty"`
	Notes       []string     `json:"notes"`
	Parameters  Params       `json:"parameters"`
	Timeline    []Point      `json:"timeline"`
	Events      []Mark       `json:"events"`
	// EventsOmitted counts events left out of a long log.
	EventsOmitted int `json:"eventsOmitted,omitempty"`
	// EventAt is when the event started, in seconds from the start of the
	// run (times in causes, timeline and events count from there too).
	EventAt float64 `json:"eventAt"`
	// ExampleRun is the index of the Monte Carlo run whose timeline and
	// events are shown: the first run that failed a request, or run 0.
	ExampleRun int `json:"exampleRun"`
	// ExampleSeed reproduces that run with --seed and --runs 1.
	ExampleSeed uint64 `json:"exampleSeed"`
}

// Requests counts requests by outcome.
type Requests struct {
	Total  int64 `json:"total"`
	OK     int64 `json:"ok"`
	Failed int64 `json:"failed"`
}

// CauseJSON is one cause of failure with its count and window.
type CauseJSON struct {
	// Name is the cause's short name (the docs' rule-cause table uses it).
	Name  string  `json:"name"`
	Cause string  `json:"cause"`
	Class string  `json:"class"`
	Count int64   `json:"count"`
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	// Runs counts the Monte Carlo runs the cause appeared in (with more
	// than one run; Count and the window then cover every run).
	Runs int `json:"runs,omitempty"`
	// Rules are the rules whose mechanism produces this cause in the
	// event (sim.Links), and ExplainedBy those of them check reported as
	// a warning or error for the workload (known only for cases read
	// from manifests).
	Rules       []string `json:"rules,omitempty"`
	ExplainedBy []string `json:"explainedBy,omitempty"`
}

// Percentiles are Monte Carlo statistics.
type Percentiles struct {
	Runs              int   `json:"runs"`
	Failed            Stats `json:"failed"`
	RolloutSeconds    Stats `json:"rolloutSeconds"`
	MinHealthyTargets Stats `json:"minHealthyTargets"`
	PeakPods          Stats `json:"peakPods"`
	ZeroDropRuns      int   `json:"zeroDropRuns"`
	UnfinishedRuns    int   `json:"unfinishedRuns"`
	DeadlineRuns      int   `json:"deadlineExceededRuns"`
}

// Point is one second of the timeline.
type Point struct {
	T        int              `json:"t"`
	OK       int64            `json:"ok"`
	Failed   int64            `json:"failed"`
	Failures map[string]int64 `json:"failures,omitempty"`
	Healthy  int32            `json:"healthyTargets"`
	Routable int32            `json:"routableTargets"`
	Pods     map[string]int32 `json:"pods"`
}

// NewResult turns a series into its report form.
func NewResult(c Case, variant string, s *Series) Result {
	r := s.Example
	res := Result{Workload: c.Workload, Exposure: c.Exposure, Variant: variant, Event: c.Params.Event,
		Notes: append([]string{}, c.Notes...), Parameters: c.Params,
		Failures: map[string]int64{}, Causes: []CauseJSON{}, Timeline: []Point{}, Events: r.Marks,
		EventsOmitted: r.MarksDropped, EventAt: r.EventAt,
		MinHealthyTargets: r.MinHealthy, PeakPods: r.PeakPods, ProgressDeadlineExceeded: r.DeadlineExceeded}
	if res.Events == nil {
		res.Events = []Mark{}
	}
	res.Notes = append(res.Notes, c.Params.limitNotes()...)
	if s.CappedRuns > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of %d runs reached the simulator's limit of %s of virtual time with the event unfinished and were stopped there", s.CappedRuns, s.Runs, hours(MaxVirtual)))
	}
	res.ExampleRun, res.ExampleSeed = s.ExampleIndex, r.Seed
	res.Requests = Requests{Total: r.Total, OK: r.OK, Failed: r.Failed()}
	for _, cl := range FailureClasses() {
		if n := r.Failures[cl]; n > 0 {
			res.Failures[cl.String()] = n
		}
	}
	for _, cc := range s.Causes {
		cj := CauseJSON{Name: cc.Cause.Name(), Cause: cc.Cause.String(), Class: cc.Class.String(), Count: cc.Count,
			From: round3(cc.From), To: round3(cc.To), Rules: RulesFor(cc.Cause, c.Params.Event)}
		for _, r := range cj.Rules {
			if slices.Contains(c.Findings, r) {
				cj.ExplainedBy = append(cj.ExplainedBy, r)
			}
		}
		if s.Runs > 1 {
			cj.Runs = cc.Runs
		}
		res.Causes = append(res.Causes, cj)
	}
	if d := r.Duration(); d >= 0 {
		res.RolloutSeconds = &d
	}
	for i := range r.Timeline {
		sec := &r.Timeline[i]
		pt := Point{T: i, OK: sec.OK, Failed: sec.FailedTotal(), Healthy: sec.Gauges.Healthy, Routable: sec.Gauges.Routable,
			Pods: map[string]int32{}}
		for _, cl := range FailureClasses() {
			if n := sec.Failed[cl]; n > 0 {
				if pt.Failures == nil {
					pt.Failures = map[string]int64{}
				}
				pt.Failures[cl.String()] = n
			}
		}
		for _, ph := range Phases() {
			pt.Pods[ph.String()] = sec.Pods[ph]
		}
		res.Timeline = append(res.Timeline, pt)
	}
	if s.Runs > 1 {
		res.Percentiles = &Percentiles{Runs: s.Runs, Failed: s.Failed, RolloutSeconds: s.Duration,
			MinHealthyTargets: s.MinHealthy, PeakPods: s.PeakPods, ZeroDropRuns: s.ZeroDropRuns,
			UnfinishedRuns: s.Unfinished, DeadlineRuns: s.DeadlineRuns}
	}
	return res
}

// Skipped is the result for a case that cannot be simulated.
func Skipped(c Case, variant string) Result {
	return Result{Workload: c.Workload, Exposure: c.Exposure, Variant: variant, Event: c.Params.Event, Skipped: c.Skip,
		Failures: map[string]int64{}, Causes: []CauseJSON{}, Notes: append([]string{}, c.Notes...),
		Parameters: c.Params, Timeline: []Point{}, Events: []Mark{}}
}

func hours(secs float64) string { return fmt.Sprintf("%.0f h", secs/3600) }

// limitNotes says where the parameters meet a limit of the model, so that
// no cap is silent.
func (p *Params) limitNotes() []string {
	var out []string
	// Log-normal durations reach median·e^(3.7σ) about once in 10,000.
	if p.DurationMedian*math.Exp(3.7*p.DurationSigma) > p.DurationMax {
		out = append(out, fmt.Sprintf("request durations (log-normal, median %s) are cut at the longest request, %s", secs(p.DurationMedian), secs(p.DurationMax)))
	}
	return out
}

func secs(v float64) string {
	if v < 1 {
		return fmt.Sprintf("%.0f ms", v*1000)
	}
	return fmt.Sprintf("%g s", math.Round(v*10)/10)
}
