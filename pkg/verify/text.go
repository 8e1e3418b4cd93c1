package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes the report for a person: the counts, the error classes,
// the error windows, the latencies, the rollout's events and the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("%s %s at %s rps for %.1f s (achieved %s rps, 99%% sent within %s of schedule)\n",
		r.Target.Method, r.Target.URL, num(r.Rate.Target), r.DurationS, num(r.Rate.Achieved), msText(r.Rate.LateP99Ms))
	if r.Interrupted {
		reason := r.EndReason
		if reason == "" {
			reason = "interrupted"
		}
		p("stopped early: %s\n", reason)
	}
	p("requests  %d total, %d ok, %d failed\n", r.Requests.Total, r.Requests.OK, r.Requests.Failed)
	if r.Requests.Failed > 0 {
		var parts []string
		for _, c := range r.FailedClasses() {
			parts = append(parts, fmt.Sprintf("%s %d", c, r.Errors[c]))
		}
		p("errors    %s\n", strings.Join(parts, ", "))
		for _, c := range r.FailedClasses() {
			if s, ok := r.ErrorSamples[c]; ok {
				p("          %s: %s\n", c, s)
			}
		}
	}
	p("latency   p50 %s, p90 %s, p99 %s, max %s (successful requests, from when each was due)\n",
		msText(r.LatencyMs.P50), msText(r.LatencyMs.P90), msText(r.LatencyMs.P99), msText(r.LatencyMs.Max))
	if len(r.Windows) > 0 {
		p("windows   %d stretch(es) with failures:\n", len(r.Windows))
		for _, win := range r.Windows {
			var parts []string
			for _, c := range sortClasses(win.Classes, nil) {
				parts = append(parts, fmt.Sprintf("%s %d", c, win.Classes[c]))
			}
			p("  +%.3fs → +%.3fs  (%s – %s, %.3f s)  %d failed: %s\n", win.FromS, win.ToS,
				clock(win.From), clock(win.To), win.ToS-win.FromS, win.Count, strings.Join(parts, ", "))
		}
	}
	if ro := r.Rollout; ro != nil {
		name := ro.Workload
		if ro.Namespace != "" {
			name += " in " + ro.Namespace
		}
		ev := ro.Event
		if ev == "" {
			ev = "restart"
		}
		p("rollout   %s: %s %s, complete %s, settled %s\n", name, ev, at(ro.StartS), at(ro.CompleteS), at(ro.SettledS))
	}
	if len(r.Events) > 0 {
		p("events\n")
		for _, e := range r.Events {
			line := fmt.Sprintf("  %+9.3fs  %-10s %-40s %s", e.AtS, e.Kind, e.Object, e.Reason)
			if e.Detail != "" {
				line += "  " + e.Detail
			}
			p("%s\n", strings.TrimRight(line, " "))
		}
	}
	if r.Passed {
		p("result    PASS: %d failed, at most %d allowed (--max-errors)\n", r.Requests.Failed, r.MaxErrors)
	} else {
		p("result    FAIL: %d failed, more than the %d allowed (--max-errors)\n", r.Requests.Failed, r.MaxErrors)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.1f", x)
}

func msText(x float64) string {
	switch {
	case x >= 1000:
		return fmt.Sprintf("%.2f s", x/1000)
	case x >= 10:
		return fmt.Sprintf("%.0f ms", x)
	default:
		return fmt.Sprintf("%.2f ms", x)
	}
}

func at(s *float64) string {
	if s == nil {
		return "—"
	}
	return fmt.Sprintf("+%.1fs", *s)
}

func clock(t time.Time) string { return t.Format("15:04:05.000") }
