package rules

import (
	"fmt"
	"strconv"

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

// ELB ranges for target-group health checks (exposure holds them).
const (
	minInterval, maxInterval   = exposure.MinInterval, exposure.MaxInterval
	minTimeout                 = exposure.MinTimeout
	minThreshold, maxThreshold = exposure.MinThreshold, exposure.MaxThreshold
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
		bad := e.RefusedHealthCheck()
		timeoutMax := e.TimeoutMax()
		fix := fmt.Sprintf("keep the interval within %d–%d s, the timeout within %d–%d s", minInterval, maxInterval, minTimeout, timeoutMax)
		if e.LB != timing.NLB {
			fix += " and below the interval"
		}
		fix += fmt.Sprintf(", the thresholds within %d–%d", minThreshold, maxThreshold)
		if e.LB == timing.NLB && e.Controller == exposure.InTree {
			fix += ", and the healthy and unhealthy thresholds equal"
		}
		if len(bad) > 0 {
			if e.TargetType.Value == timing.TargetInstance {
				// The targets are the nodes: a target group that stops
				// following changes keeps them, and kube-proxy on each
				// still forwards to whichever pods are ready.
				p.ReportPatch(healthCheckPatch(e, timeoutMax), e.Front, "", finding.Warning,
					fmt.Sprintf("The health check of %s is one the ELB API rejects: %s. The controller's reconcile fails: a new load balancer is never created, and an existing one stops following changes. Its targets are nodes, which it keeps, and kube-proxy forwards to the ready pods, so rollouts, scale-ins and drains of the pods drop nothing; but nodes added later are never registered, and once the registered nodes are replaced (a cluster upgrade) no target is left.", e.Describe(), joinList(bad)),
					fix, ev...)
				continue
			}
			p.ReportPatch(healthCheckPatch(e, timeoutMax), e.Front, "", finding.Error,
				fmt.Sprintf("The health check of %s is one the ELB API rejects: %s. The controller's reconcile fails: a new load balancer is never created, and an existing target group stops following the pods. On every rollout, scale-in and drain, deleted pods stay registered and new ones are never added, so requests go to pods that are shutting down or gone, and once the old pods are gone no target is left (%s).", e.Describe(), joinList(bad), failureWording(e.LB)),
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
			// Only a pod that gets the gate waits for it: the namespace must be
			// labelled, or not in the input (then it may be).
			ns := p.Graph.Namespace(w.Namespace)
			mayBeGated := ns == nil || gateLabelled(p, w)
			if deadline.Seconds > 0 && e.GateCapable() && mayBeGated && n.GateWait.High >= deadline.Seconds {
				var raise *finding.Patch
				if w.Kind == "Deployment" {
					secs := (n.GateWait.High + 60 + 59) / 60 * 60
					raise = specPatch(&w.Meta, map[string]any{"progressDeadlineSeconds": secs}, fmt.Sprintf("%s: progressDeadlineSeconds %d", w.Ref, secs))
				}
				p.ReportPatch(raise, e.Front, "", finding.Error,
					fmt.Sprintf("With a readiness gate, each new pod of %s waits %ds for %s to pass it healthy, not less than its progress deadline of %ds: a rollout is marked failed (ProgressDeadlineExceeded) and stalls with old and new pods side by side, and a stalled rollout blocks the next fix.", w.Ref, n.GateWait.High, e.Describe(), deadline.Seconds),
					"tighten the health check (interval 10 s, healthy threshold 2) or raise progressDeadlineSeconds", append(ev, finding.Span(n.GateWait), finding.Seconds(deadline))...)
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

// healthCheckKeys are the annotations of each health-check value, by LB.
func healthCheckKeys(e *exposure.Exposure) (interval, timeout, healthy, unhealthy string) {
	if e.LB == timing.ALB {
		return exposure.ALBPrefix + "healthcheck-interval-seconds", exposure.ALBPrefix + "healthcheck-timeout-seconds",
			exposure.ALBPrefix + "healthy-threshold-count", exposure.ALBPrefix + "unhealthy-threshold-count"
	}
	const s = exposure.SvcPrefix + "aws-load-balancer-healthcheck-"
	return s + "interval", s + "timeout", s + "healthy-threshold", s + "unhealthy-threshold"
}

// healthCheckPatch brings every health-check value inside the ranges ELB
// accepts, changing only what is out of range, on the object that sets it.
func healthCheckPatch(e *exposure.Exposure, timeoutMax int64) *finding.Patch {
	if e.Front.Kind == "TargetGroupBinding" {
		return nil
	}
	iv, to, hk, uk := healthCheckKeys(e)
	interval := clamp(e.Interval.Seconds, minInterval, maxInterval)
	timeout := clamp(e.Timeout.Seconds, minTimeout, timeoutMax)
	if e.LB != timing.NLB && timeout >= interval {
		timeout = interval - 1
	}
	healthy := clamp(e.HealthyThreshold.Seconds, minThreshold, maxThreshold)
	unhealthy := clamp(e.UnhealthyThreshold.Seconds, minThreshold, maxThreshold)
	if e.LB == timing.NLB && e.Controller == exposure.InTree {
		unhealthy = healthy
	}
	// Annotations go where the health check is set: the Service if it has
	// any of them (it wins for its backend), else the front object.
	on := e.Front
	if e.Service != nil && e.Front != &e.Service.Meta {
		for _, k := range []string{iv, to, hk, uk} {
			if _, ok := e.Service.Annotations[k]; ok {
				on = &e.Service.Meta
				break
			}
		}
	}
	set := map[string]string{}
	for _, c := range []struct {
		key  string
		old  int64
		want int64
	}{{iv, e.Interval.Seconds, interval}, {to, e.Timeout.Seconds, timeout}, {hk, e.HealthyThreshold.Seconds, healthy}, {uk, e.UnhealthyThreshold.Seconds, unhealthy}} {
		if c.old != c.want {
			set[c.key] = strconv.FormatInt(c.want, 10)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return annotationPatch(on, set, fmt.Sprintf("health check interval %ds, timeout %ds, thresholds %d/%d", interval, timeout, healthy, unhealthy))
}

func clamp(v, lo, hi int64) int64 { return min(max(v, lo), hi) }
