package verify

import (
	"encoding/json"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/zerodrop/zerodrop/pkg/loadgen"
	"github.com/zerodrop/zerodrop/pkg/schema"
)

// Report is the JSON contract of `zerodrop verify -o json` (schemaVersion 1).
type Report struct {
	SchemaVersion schema.Version    `json:"schemaVersion"`
	Target        Target            `json:"target"`
	Start         time.Time         `json:"start"`     // when the first request was due
	DurationS     float64           `json:"durationS"` // from then until the last response
	Interrupted   bool              `json:"interrupted"`
	EndReason     string            `json:"endReason,omitempty"`
	Requests      Counts            `json:"requests"`
	Errors        map[string]int    `json:"errors"`   // class → count; only failures
	Statuses      map[string]int    `json:"statuses"` // HTTP status → count; "0" for no response
	ErrorSamples  map[string]string `json:"errorSamples,omitempty"`
	Windows       []Window          `json:"windows"`
	Rate          Rate              `json:"rate"`
	LatencyMs     Latency           `json:"latencyMs"`
	Events        []ReportEvent     `json:"events"`
	Rollout       *Rollout          `json:"rollout,omitempty"`
	MaxErrors     int               `json:"maxErrors"`
	Passed        bool              `json:"passed"` // requests.failed <= maxErrors
}

// Target is what the traffic went to.
type Target struct {
	URL    string `json:"url"`
	Method string `json:"method"`
}

// Counts counts requests.
type Counts struct {
	Total  int `json:"total"`
	OK     int `json:"ok"`
	Failed int `json:"failed"`
}

// Window is a stretch of time in which requests failed: failures closer
// together than the window gap belong to one window.
type Window struct {
	From    time.Time      `json:"from"` // when the first failed request was due
	To      time.Time      `json:"to"`   // when the last one ended
	FromS   float64        `json:"fromS"`
	ToS     float64        `json:"toS"` // seconds after Start
	Count   int            `json:"count"`
	Classes map[string]int `json:"classes"`
}

// Rate compares the rate asked for with the rate achieved.
type Rate struct {
	Target   float64 `json:"target"`
	Achieved float64 `json:"achieved"`
	// LateP99Ms is the 99th percentile of how late requests were sent;
	// a few milliseconds means the schedule held.
	LateP99Ms float64 `json:"lateP99Ms"`
}

// Latency percentiles of the successful requests, in milliseconds, counted
// from when each request was due.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// ReportEvent is an Event with its offset from Start.
type ReportEvent struct {
	Event
	AtS float64 `json:"atS"`
}

// Rollout sums up the restart (or scale-in or drain), when there was one.
type Rollout struct {
	Workload  string   `json:"workload"` // deployment/NAME
	Namespace string   `json:"namespace,omitempty"`
	Event     string   `json:"event,omitempty"` // restart, scale-in or drain
	StartS    *float64 `json:"startS"`          // restart requested
	CompleteS *float64 `json:"completeS"`       // all new pods available
	SettledS  *float64 `json:"settledS"`        // no old pod left
}

// Build makes the report of a run. It does not change run.
func Build(run *Run) *Report {
	m := run.Meta
	rep := &Report{
		SchemaVersion: SchemaVersion,
		Target:        Target{URL: m.URL, Method: m.Method},
		Errors:        map[string]int{},
		Statuses:      map[string]int{},
		Windows:       []Window{},
		Events:        []ReportEvent{},
		MaxErrors:     m.MaxErrors,
	}
	reqs := slices.Clone(run.Requests)
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].Seq < reqs[j].Seq })

	// The clock starts when the first request was due.
	var base int64
	if len(reqs) > 0 {
		base = reqs[0].At
		for i := range reqs {
			base = min(base, reqs[i].At)
		}
	}
	rep.Start = m.Start.Add(time.Duration(base))
	offS := func(ns int64) float64 { return round(float64(ns-base)/1e9, 3) }

	var okLat, late []int64
	var lastSend, lastEnd int64
	for i := range reqs {
		q := &reqs[i]
		rep.Requests.Total++
		rep.Statuses[strconv.Itoa(int(q.Status))]++
		if q.Failed() {
			rep.Requests.Failed++
			rep.Errors[string(q.Class)]++
		} else {
			rep.Requests.OK++
			okLat = append(okLat, q.Latency)
		}
		late = append(late, q.Delay)
		lastSend = max(lastSend, q.At+q.Delay)
		lastEnd = max(lastEnd, q.At+q.Latency)
	}
	if len(reqs) > 0 {
		rep.DurationS = offS(lastEnd)
	}
	for c, s := range run.Samples {
		if rep.ErrorSamples == nil {
			rep.ErrorSamples = map[string]string{}
		}
		rep.ErrorSamples[string(c)] = s
	}

	rep.Rate.Target = m.Rate
	if len(reqs) > 0 && m.Rate > 0 {
		span := float64(lastSend-base)/1e9 + 1/m.Rate
		rep.Rate.Achieved = round(float64(len(reqs))/span, 1)
	}
	slices.Sort(late)
	rep.Rate.LateP99Ms = ms(percentile(late, 99))

	slices.Sort(okLat)
	rep.LatencyMs = Latency{P50: ms(percentile(okLat, 50)), P90: ms(percentile(okLat, 90)),
		P99: ms(percentile(okLat, 99)), Max: ms(percentile(okLat, 100))}

	rep.Windows = windows(reqs, m, WindowGap(m.Rate), offS)

	events := slices.Clone(run.Events)
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	for _, e := range events {
		rep.Events = append(rep.Events, ReportEvent{Event: e, AtS: offS(int64(e.At.Sub(m.Start)))})
	}
	if m.Rollout != "" {
		ro := &Rollout{Workload: m.Rollout, Namespace: m.Namespace}
		for _, e := range rep.Events {
			at := e.AtS
			switch {
			case e.Kind == "rollout" && (e.Reason == "restart" || e.Reason == "scale-in" || e.Reason == "drain") && ro.StartS == nil:
				ro.StartS = &at
				ro.Event = e.Reason
			case e.Kind == "rollout" && e.Reason == "complete" && ro.CompleteS == nil:
				ro.CompleteS = &at
			case e.Kind == "rollout" && e.Reason == "settled" && ro.SettledS == nil:
				ro.SettledS = &at
			}
		}
		rep.Rollout = ro
	}
	if run.End != nil {
		rep.Interrupted = run.End.Interrupted
		rep.EndReason = run.End.Reason
	} else {
		rep.Interrupted = true
		rep.EndReason = "results file ends early: the run was killed"
	}
	rep.Passed = rep.Requests.Failed <= rep.MaxErrors
	return rep
}

// WindowGap is how far apart two failures may be and still belong to one
// window: one second, or two request intervals at low rates.
func WindowGap(rate float64) time.Duration {
	gap := time.Second
	if rate > 0 {
		if g := time.Duration(2 * float64(time.Second) / rate); g > gap {
			gap = g
		}
	}
	return gap
}

func windows(reqs []Request, m Meta, gap time.Duration, offS func(int64) float64) []Window {
	var fails []Request
	for _, q := range reqs {
		if q.Failed() {
			fails = append(fails, q)
		}
	}
	sort.SliceStable(fails, func(i, j int) bool { return fails[i].At < fails[j].At })
	out := []Window{}
	var cur *Window
	var curFrom, curTo, lastAt int64
	flush := func() {
		if cur != nil {
			cur.From, cur.To = m.Start.Add(time.Duration(curFrom)), m.Start.Add(time.Duration(curTo))
			cur.FromS, cur.ToS = offS(curFrom), offS(curTo)
			out = append(out, *cur)
		}
	}
	for _, q := range fails {
		if cur == nil || q.At-lastAt > int64(gap) {
			flush()
			cur = &Window{Classes: map[string]int{}}
			curFrom, curTo = q.At, q.At+q.Latency
		}
		cur.Count++
		cur.Classes[string(q.Class)]++
		curTo = max(curTo, q.At+q.Latency)
		lastAt = q.At
	}
	flush()
	return out
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func ms(ns int64) float64 { return round(float64(ns)/1e6, 3) }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// FailedClasses lists the error classes in a stable order: transport
// failures first, then HTTP statuses.
func (r *Report) FailedClasses() []string {
	order := map[loadgen.Class]int{loadgen.ClassRefused: 0, loadgen.ClassReset: 1, loadgen.ClassTimeout: 2,
		loadgen.ClassTLS: 3, loadgen.ClassDNS: 4, loadgen.ClassUnreachable: 5, loadgen.ClassOther: 6}
	return sortClasses(r.Errors, order)
}

func sortClasses(m map[string]int, order map[loadgen.Class]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if n, ok := order[loadgen.Class(k)]; ok {
			return n
		}
		return 100
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}
