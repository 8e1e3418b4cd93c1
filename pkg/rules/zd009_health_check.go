package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// HealthCheck flags health-check settings the ELB API rejects (the controller
// then never updates the load balancer) and checks so slow that a gated
// rollout cannot make progress in time.
var HealthCheck = register(&Rule{
	ID: "ZD009", Name: "health-check", Severity: finding.Error, Scope: Exposed,
	Title: "Health-check values out of range or too slow for the rollout",
	Run:   runHealthCheck,
})

// ELB ranges for target-group health checks.
const (
	minInterval, maxInterval   = 5, 300
	minTimeout, maxTimeout     = 2, 120
	minThreshold, maxThreshold = 2, 10
	// A Classic Load Balancer's health-check timeout stops at 60 s.
	maxCLBTimeout = 60
)

// checkCount shows a health-check threshold as evidence: a number of
// checks, with no unit.
func checkCount(v timing.Value) finding.Evidence {
	return finding.Fact(v.Name, v.Seconds, v.Source, v.Detail)
}

func runHealthCheck(p *Pass) {
	for _, e := range p.Exposures {
		if len(e.Workloads) == 0 {
			continue
		}
		// Thresholds are counts of checks, not durations.
		ev := append(lbContext(e), finding.Seconds(e.Interval), finding.Seconds(e.Timeout), checkCount(e.HealthyThreshold), checkCount(e.UnhealthyThreshold))
		var bad []string
		check := func(v timing.Value, lo, hi int64, unit string) {
			if v.Source == timing.FromAnnotation && (v.Seconds < lo || v.Seconds > hi) {
				bad = append(bad, fmt.Sprintf("%s %d is outside %d–%d%s", v.Name, v.Seconds, lo, hi, unit))
			}
		}
		timeoutMax := int64(maxTimeout)
		if e.LB == timing.CLB {
			timeoutMax = maxCLBTimeout
		}
		check(e.Interval, minInterval, maxInterval, " s")
		check(e.Timeout, minTimeout, timeoutMax, " s")
		check(e.HealthyThreshold, minThreshold, maxThreshold, "")
		check(e.UnhealthyThreshold, minThreshold, maxThreshold, "")
		// ALB and CLB want the timeout below the interval; an NLB accepts
		// them equal (the controller's own NLB default is 10 s and 10 s).
		if e.LB != timing.NLB && e.Timeout.Seconds >= e.Interval.Seconds {
			bad = append(bad, fmt.Sprintf("the timeout (%ds) must be less than the interval (%ds)", e.Timeout.Seconds, e.Interval.Seconds))
		}
		fix := fmt.Sprintf("keep the interval within %d–%d s, the timeout within %d–%d s", minInterval, maxInterval, minTimeout, timeoutMax)
		if e.LB != timing.NLB {
			fix += " and below the interval"
		}
		fix += fmt.Sprintf(", the thresholds within %d–%d", minThreshold, maxThreshold)
		if e.LB == timing.NLB && e.Controller == exposure.InTree {
			fix += ", and the healthy and unhealthy thresholds equal"
			if e.HealthyThreshold.Seconds != e.UnhealthyThreshold.Seconds {
				bad = append(bad, fmt.Sprintf("the in-tree NLB needs equal healthy and unhealthy thresholds (%d ≠ %d)", e.HealthyThreshold.Seconds, e.UnhealthyThreshold.Seconds))
			}
		}
		if len(bad) > 0 {
			p.Report(e.Front, "", finding.Error,
				fmt.Sprintf("The health check of %s is one the ELB API rejects: %s. The controller's reconcile fails, so the load balancer is not created or stops following the pods.", e.Describe(), joinList(bad)),
				fix, ev...)
			continue
		}
		if e.LB == timing.NLB && e.Interval.Source == timing.FromAnnotation && e.Timeout.Source == timing.FromAnnotation && e.Controller == exposure.LBC {
			p.Report(e.Front, "", finding.Info,
				fmt.Sprintf("%s sets both the health-check interval and timeout; NLB target groups created before AWS relaxed NLB health checks (2022) answer 400 to that.", e.Front.Ref),
				"on an older NLB set only the interval", ev...)
		}
		n := p.Numbers(e)
		for _, w := range e.Workloads {
			deadline := progressDeadline(w)
			if deadline.Seconds > 0 && e.GateCapable() && n.GateWait.Seconds >= deadline.Seconds {
				p.Report(e.Front, "", finding.Error,
					fmt.Sprintf("With a readiness gate, each new pod of %s waits %ds for %s to pass it healthy, not less than its progress deadline of %ds: the rollout is marked failed (ProgressDeadlineExceeded).", w.Ref, n.GateWait.Seconds, e.Describe(), deadline.Seconds),
					"tighten the health check (interval 10 s, healthy threshold 2) or raise progressDeadlineSeconds", append(ev, finding.Seconds(n.GateWait), finding.Seconds(deadline))...)
				break
			}
		}
	}
}

func progressDeadline(w *inventory.Workload) timing.Value {
	v := timing.Value{Name: "progressDeadlineSeconds", Seconds: int64(w.ProgressDeadline), Source: timing.FromDefault, Detail: "Kubernetes default"}
	if w.ProgressDeadlineSet {
		v.Source, v.Detail = timing.FromManifest, "spec.progressDeadlineSeconds"
	}
	return v
}

func joinList(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "; "
		}
		out += x
	}
	return out
}
