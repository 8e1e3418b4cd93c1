package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Rollout flags update strategies that can leave the load balancer with no
// healthy target: Recreate, a maxUnavailable that covers every replica, and,
// where readiness gates are impossible, no minReadySeconds to cover
// registration.
var Rollout = register(&Rule{
	ID: "ZD010", Name: "rollout", Severity: finding.Error, Scope: Exposed,
	Title: "Update strategy that can empty the target group",
	Run:   runRollout,
})

func runRollout(p *Pass) {
	for _, w := range p.ExposedWorkloads() {
		e := p.Slowest(w)
		n := p.Numbers(e)
		st := w.Strategy
		switch st.Type {
		case "Recreate":
			rolling := specPatch(&w.Meta, map[string]any{"strategy": map[string]any{"type": "RollingUpdate",
				"rollingUpdate": map[string]any{"maxUnavailable": int64(0), "maxSurge": "25%"}}}, "strategy RollingUpdate, maxUnavailable 0, maxSurge 25%")
			p.ReportPatch(rolling, podMeta(w), "", finding.Error,
				fmt.Sprintf("%s uses the Recreate strategy: every pod is stopped before a new one starts, so %s has no target for the whole rollout (503s), plus %ds to register the new pods.", w.Ref, e.Describe(), n.Register.High),
				"use strategy type RollingUpdate with maxUnavailable: 0 and maxSurge: 25%",
				finding.Fact("strategy", "Recreate", timing.FromManifest, "spec.strategy.type"), finding.Span(n.Register))
			continue
		case "RollingUpdate", "Canary":
		default:
			continue
		}
		if w.PerNode {
			continue
		}
		// A rollout may start at any count the workload runs; at the
		// fewest (an autoscaler's minReplicas) the fewest pods are left.
		r := p.Replicas(w)
		surge, unavailable, err := timing.RollingBatch(r.Min, st.MaxSurge, st.MaxUnavailable)
		if err != nil {
			p.Report(podMeta(w), "", finding.Error, fmt.Sprintf("%s has an invalid rolling update: %v.", w.Ref, err), "use whole numbers or percentages like 25%")
			continue
		}
		// Where each value came from: the manifest, or the default of the
		// kind (and API version) for a field left out.
		origin := func(defaulted bool, field string) (timing.Source, string) {
			if !defaulted {
				return timing.FromManifest, "spec.strategy.rollingUpdate." + field
			}
			switch {
			case w.Kind == "StatefulSet":
				return timing.FromDefault, "Kubernetes default for StatefulSets: one pod at a time, no surge"
			case w.Kind == "DaemonSet":
				return timing.FromDefault, "Kubernetes default for DaemonSets: one node at a time, no surge"
			case w.APIVersion == "extensions/v1beta1":
				return timing.FromDefault, "extensions/v1beta1 default: 1"
			}
			return timing.FromDefault, "Kubernetes default 25%"
		}
		uSrc, uDetail := origin(st.UnavailableDefaulted, "maxUnavailable")
		sSrc, sDetail := origin(st.SurgeDefaulted, "maxSurge")
		ev := []finding.Evidence{
			replicasFact(r, r.Min),
			finding.Fact("maxUnavailable", int64(unavailable), uSrc, uDetail),
			finding.Fact("maxSurge", int64(surge), sSrc, sDetail),
		}
		if unavailable >= r.Min {
			fix, patch := "set maxUnavailable to 0 and maxSurge to 1 or 25%", surgePatch(w, r.Min)
			if w.Kind == "StatefulSet" {
				// StatefulSets cannot surge: a pod is stopped before its
				// replacement starts, so only more replicas keep one serving.
				fix = "run at least 2 replicas (a StatefulSet replaces pods one at a time and cannot start a new pod first)"
				if r.Min > 1 {
					fix = "set spec.updateStrategy.rollingUpdate.maxUnavailable to 1"
				}
			}
			p.ReportPatch(patch, podMeta(w), "", finding.Error,
				judgedAt(fmt.Sprintf("%s allows %d of its %d replicas to be unavailable during a rollout: every old pod may be stopped before a new one is registered with %s, leaving no healthy target.", w.Ref, unavailable, r.Min, e.Describe()), r, false),
				fix, ev...)
			continue
		}
		gated := e.GateCapable() && gateLabelled(p, w)
		// Without a gate, each time a new pod counts as available an old
		// one is deleted. Capacity is lost only if the new pod takes longer
		// to get traffic than the old one takes to stop getting it. For
		// instance targets both go through kube-proxy and take equally
		// long, so minReadySeconds 0 is fine there; ip targets without a
		// gate are ZD002's business.
		if !gated && !e.GateCapable() && int64(w.MinReadySeconds) < n.Register.High && n.Register.High > n.StopSending.High {
			minReady := specPatch(&w.Meta, map[string]any{"minReadySeconds": n.Register.High}, fmt.Sprintf("minReadySeconds %d", n.Register.High))
			p.ReportPatch(minReady, podMeta(w), "", finding.Warning,
				fmt.Sprintf("%s cannot use a readiness gate with %s and has minReadySeconds %d: the rollout treats a pod as available %ds before the load balancer can send it traffic, while the pod it replaces stops getting traffic after %ds.", w.Ref, e.Describe(), w.MinReadySeconds, n.Register.High-int64(w.MinReadySeconds), n.StopSending.High),
				fmt.Sprintf("set minReadySeconds to %d, or switch to ip targets with a readiness gate", n.Register.High),
				append(ev, finding.Span(n.Register), finding.Span(n.StopSending))...)
		}
		// How long a rollout takes is a scale note: judged at the most
		// replicas there may be, with the batch sizes at that count.
		if r.Max != r.Min {
			surge, unavailable, err = timing.RollingBatch(r.Max, st.MaxSurge, st.MaxUnavailable)
			if err != nil {
				continue
			}
			ev = []finding.Evidence{replicasFact(r, r.Max),
				finding.Fact("maxUnavailable", int64(unavailable), uSrc, uDetail),
				finding.Fact("maxSurge", int64(surge), sSrc, sDetail)}
		}
		if d := rolloutDuration(w, r.Max, surge, unavailable, n, gated); d.Seconds > 3600 {
			p.Report(podMeta(w), "", finding.Info,
				judgedAt(fmt.Sprintf("A rollout of %s takes about %s: a bad version cannot be replaced quickly.", w.Ref, humanDuration(d.Seconds)), r, true),
				"raise maxSurge (more pods in each batch), shorten registration (tighter health checks) or pause the rollout when something goes wrong",
				append(ev, finding.Seconds(d))...)
		}
	}
}

func gateLabelled(p *Pass, w *inventory.Workload) bool {
	gated, _ := exposure.NamespaceGated(p.Graph, w.Namespace)
	return gated
}

// rolloutDuration estimates ceil(replicas/batch) × (start-up + readiness +
// registration when gated + minReadySeconds).
func rolloutDuration(w *inventory.Workload, replicas, surge, unavailable int32, n timing.Numbers, gated bool) timing.Value {
	batch := max(surge+unavailable, 1)
	batches := (replicas + batch - 1) / batch
	step := n.Profile.AppStartup.High + int64(w.MinReadySeconds)
	if len(w.Template.Spec.Containers) > 0 {
		if rp := w.Template.Spec.Containers[0].ReadinessProbe; rp != nil {
			period := int64(max(rp.PeriodSeconds, 1))
			if rp.PeriodSeconds == 0 {
				period = 10
			}
			step += int64(rp.InitialDelaySeconds) + period
		}
	}
	if gated {
		step += n.GateWait.High
	}
	return timing.Value{Name: "rollout duration", Seconds: int64(batches) * step, Source: timing.FromDerived,
		Detail: fmt.Sprintf("%d batches of %d × %ds (start-up, readiness, registration when gated, minReadySeconds)", batches, batch, step)}
}

func humanDuration(s int64) string {
	if s >= 3600 {
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	}
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// surgePatch makes a rolling update start new pods before stopping old ones.
func surgePatch(w *inventory.Workload, replicas int32) *finding.Patch {
	const what = "maxUnavailable 0, maxSurge 25%"
	ru := map[string]any{"maxUnavailable": int64(0), "maxSurge": "25%"}
	switch w.Kind {
	case "Deployment":
		return specPatch(&w.Meta, map[string]any{"strategy": map[string]any{"rollingUpdate": ru}}, what)
	case "Rollout":
		return specPatch(&w.Meta, map[string]any{"strategy": map[string]any{"canary": ru}}, what)
	case "StatefulSet":
		if replicas > 1 {
			return specPatch(&w.Meta, map[string]any{"updateStrategy": map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": int64(1)}}}, "maxUnavailable 1")
		}
	}
	return nil
}
