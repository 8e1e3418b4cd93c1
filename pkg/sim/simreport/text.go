// Package simreport writes the outcome of `zerodrop simulate`: a text summary
// for people, the versioned JSON contract, and a self-contained HTML page
// with SVG charts that opens offline.
package simreport

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/sim"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, rep *sim.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// Text writes a summary per result, and the plan tables.
func Text(w io.Writer, rep *sim.Report) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for i, r := range rep.Results {
		if i > 0 {
			p("\n")
		}
		p("%s — %s, %s\n", r.Workload, r.Variant, r.Event)
		p("  %s\n", r.Exposure)
		if r.Skipped != "" {
			p("  not simulated: %s\n", r.Skipped)
			continue
		}
		pr := r.Parameters
		p("  %d replicas, %s req/s", pr.Replicas, num(pr.RPS))
		switch r.Event {
		case sim.ScaleIn:
			p(", scale in to %d", pr.ScaleTo)
		case sim.Drain:
			p(", %d of %d nodes drained", pr.DrainNodes, pr.Nodes)
		}
		p("\n")
		q := r.Requests
		which := ""
		if r.Percentiles != nil {
			which = fmt.Sprintf(" (run %d, seed %d)", r.ExampleRun, r.ExampleSeed)
		}
		if q.Failed == 0 {
			p("  requests%s: %s, none failed\n", which, count(q.Total))
		} else {
			p("  requests%s: %s, %s failed (%s)", which, count(q.Total), count(q.Failed), pct(q.Failed, q.Total))
			var parts []string
			for _, c := range sim.FailureClasses() {
				if n := r.Failures[c.String()]; n > 0 {
					parts = append(parts, fmt.Sprintf("%s %s", c, count(n)))
				}
			}
			p(": %s\n", strings.Join(parts, ", "))
		}
		if len(r.Causes) > 0 {
			if r.Percentiles != nil {
				p("  causes over all %d runs:\n", r.Percentiles.Runs)
			}
			for _, c := range r.Causes {
				p("    %s: %s requests (%s), %s–%s", c.Cause, count(c.Count), c.Class, clock(c.From-r.EventAt), clock(c.To-r.EventAt))
				if c.Runs > 0 {
					p(", in %d runs", c.Runs)
				}
				switch {
				case len(c.ExplainedBy) > 0:
					p(" [check: %s]", strings.Join(c.ExplainedBy, ", "))
				case len(c.Rules) > 0:
					p(" [rules for it: %s]", strings.Join(c.Rules, ", "))
				}
				p("\n")
			}
		}
		label := map[sim.Event]string{sim.Rollout: "rollout", sim.ScaleIn: "scale-in", sim.Drain: "drain"}[r.Event]
		if r.RolloutSeconds != nil {
			p("  %s took %s", label, dur(*r.RolloutSeconds))
		} else {
			p("  %s never finished", label)
		}
		p("; fewest healthy targets %d; at most %d pods", r.MinHealthyTargets, r.PeakPods)
		if r.ProgressDeadlineExceeded {
			p("; progress deadline exceeded")
		}
		p("\n")
		if s := r.Percentiles; s != nil {
			p("  over %d runs: failed requests p50 %s, p95 %s, p99 %s; no failure in %d of %d runs\n",
				s.Runs, num(s.Failed.P50), num(s.Failed.P95), num(s.Failed.P99), s.ZeroDropRuns, s.Runs)
			p("  %s duration p50 %s, p95 %s, p99 %s; fewest healthy targets p50 %s, min %s\n", label,
				dur(s.RolloutSeconds.P50), dur(s.RolloutSeconds.P95), dur(s.RolloutSeconds.P99),
				num(s.MinHealthyTargets.P50), num(s.MinHealthyTargets.Min))
			if s.UnfinishedRuns > 0 {
				p("  the %s never finished in %d runs\n", label, s.UnfinishedRuns)
			}
		}
		for _, n := range r.Notes {
			p("  note: %s\n", n)
		}
	}
	for _, pl := range rep.Plans {
		if len(rep.Results) > 0 || b.Len() > 0 {
			p("\n")
		}
		p("%s — %s: rollout plan, %d replicas (now maxSurge %s, maxUnavailable %s)\n", pl.Workload, pl.Variant, pl.Replicas, pl.Base.MaxSurge, pl.Base.MaxUnavailable)
		p("  %s\n", pl.Exposure)
		if pl.Skipped != "" {
			p("  not simulated: %s\n", pl.Skipped)
			continue
		}
		p("  %-9s %6s %6s %12s %10s %10s\n", "maxSurge", "surge", "unavl", "rollout", "peak pods", "failed")
		for _, row := range pl.Rows {
			d := "never"
			if row.RolloutSeconds != nil {
				d = dur(*row.RolloutSeconds)
			}
			if row.Stats != nil {
				d = dur(row.Stats.RolloutSeconds.P50) + " p50"
			}
			p("  %-9s %6d %6d %12s %10d %10s\n", row.MaxSurge, row.Surge, row.Unavailable, d, row.PeakPods, count(row.Failed))
		}
		for _, n := range pl.Notes {
			p("  note: %s\n", n)
		}
	}
	if len(rep.Assumptions) > 0 {
		p("\nAssumptions:\n")
		for _, a := range rep.Assumptions {
			p("  %s\n", a)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(x float64) string {
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// count writes an integer with thousands separators.
func count(n int64) string {
	s := fmt.Sprintf("%d", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func pct(a, b int64) string {
	if b == 0 {
		return "0%"
	}
	v := 100 * float64(a) / float64(b)
	if v < 0.1 {
		return fmt.Sprintf("%.3f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}

// clock writes seconds from the event's start as m:ss (negative before it).
func clock(s float64) string {
	sign := "+"
	if s < 0 {
		sign, s = "-", -s
	}
	t := int(math.Floor(s))
	if t >= 3600 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%s%d:%02d", sign, t/60, t%60)
}

// dur writes a duration in seconds as "1m24s".
func dur(s float64) string {
	switch {
	case s < 0:
		return "never"
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	}
	return fmt.Sprintf("%dh%02dm", int(s)/3600, int(s)/60%60)
}
