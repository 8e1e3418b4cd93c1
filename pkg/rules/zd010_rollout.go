package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/podspec"
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
				fmt.Sprintf("%s uses the Recreate strategy: on every rollout every pod is stopped before a new one starts, so %s has no target for the whole rollout, plus up to %ds to register the new pods (%s).", w.Ref, e.Describe(), n.Register.High, failureWording(e.LB)),
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
			p.Report(podMeta(w), "", finding.Error, fmt.Sprintf("%s has an invalid rolling update: %v. The API server rejects the object, so it cannot be applied and no rollout of it happens.", w.Ref, err), "use whole numbers or percentages like 25%")
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
			head := fmt.Sprintf("During a rollout, %s allows %d of its %d replicas to be unavailable, so every old pod is deleted at once.", w.Ref, unavailable, r.Min)
			if e.TargetType.Value == timing.TargetIP {
				p.ReportPatch(patch, podMeta(w), "", finding.Error,
					judgedAt(fmt.Sprintf("%s %s stops sending to them %s after deletion, while the new pods need start-up, readiness and %s to register and pass health checks: the target group holds only draining and initial targets, and requests fail (no target; %s).", head, e.Describe(), n.StopSending, n.Register, failureWording(e.LB)), r, false),
					fix, append(ev, finding.Span(n.StopSending), finding.Span(n.Register))...)
				continue
			}
			first, serves, ok := terminatingFallback(p, w, e)
			if !ok {
				p.ReportPatch(patch, podMeta(w), "", finding.Error,
					judgedAt(fmt.Sprintf("%s kube-proxy drops them from the rules behind %s before any new pod is ready, and no pod serves until one is: requests fail (no endpoint; %s).", head, e.Describe(), failureWording(e.LB)), r, false),
					fix, ev...)
				continue
			}
			ev = append(ev, finding.Span(first), finding.Seconds(serves))
			if serves.Seconds < first.High {
				p.ReportPatch(patch, podMeta(w), "", finding.Error,
					judgedAt(fmt.Sprintf("%s Behind %s, with no ready endpoint left, kube-proxy sends to the terminating pods while they serve, but their apps stop accepting connections %ds after deletion, and the new pods may take %s to get traffic: requests in between are refused or reach exited pods (%s).", head, e.Describe(), serves.Seconds, first, failureWording(e.LB)), r, false),
					fix, ev...)
				continue
			}
			p.ReportPatch(patch, podMeta(w), "", finding.Warning,
				judgedAt(fmt.Sprintf("%s With no ready endpoint left, kube-proxy sends to the terminating pods while they serve (Kubernetes 1.26 and later), and their apps accept connections for %ds after deletion, longer than the new pods take to get traffic (%s): nothing fails, but for that time all traffic goes to pods that are shutting down, with no spare capacity.", head, serves.Seconds, first), r, false),
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
		//
		// Behind externalTrafficPolicy: Local the load balancer sends to a
		// node only while its health check passes: a new pod on a node
		// without another ready pod waits for the node to join, while the
		// node of a deleted pod leaves after its own checks fail. If every
		// old node leaves first, the load balancer fails open to every node,
		// and those without a pod of the workload drop what they get. A
		// drain ignores minReadySeconds, so only the timing decides there.
		if local := e.Input().LocalTraffic; local && !gated && n.Register.High > n.StopSending.Low {
			var patch *finding.Patch
			fix := "switch to ip targets with a readiness gate, or drain nodes one pod at a time (a PodDisruptionBudget of maxUnavailable 1) and slowly"
			if int64(w.MinReadySeconds) < n.Register.High {
				patch = specPatch(&w.Meta, map[string]any{"minReadySeconds": n.Register.High}, fmt.Sprintf("minReadySeconds %d", n.Register.High))
				fix = fmt.Sprintf("set minReadySeconds to %d for rollouts; for drains, %s", n.Register.High, fix)
			}
			p.ReportPatch(patch, podMeta(w), "", finding.Warning,
				fmt.Sprintf("%s sends to a node only while its health check passes (externalTrafficPolicy: Local): a new pod of %s on a node without another ready pod gets traffic %s after it is Ready, while the node of a deleted pod leaves after %s. A rollout (minReadySeconds %d) and a node drain (which ignores minReadySeconds) can replace pods faster: once every old node has left before a new one joins, the load balancer fails open to every node, and the nodes without a pod drop the requests (%s).",
					e.Describe(), w.Ref, n.Register, n.StopSending, w.MinReadySeconds, failureWording(e.LB)),
				fix, append(ev, finding.Span(n.Register), finding.Span(n.StopSending))...)
		} else if !gated && !e.GateCapable() && int64(w.MinReadySeconds) < n.Register.High && n.Register.High > n.StopSending.High {
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

// terminatingFallback is, for a Deployment (or Argo Rollout) behind
// instance targets with externalTrafficPolicy: Cluster on Kubernetes 1.26 or
// later, when its new pods get traffic (first) and how long a deleted pod's
// app keeps accepting connections (serves). kube-proxy falls back to serving
// terminating endpoints when no ready one is left (KEP-1669, beta and on by
// default in 1.26, GA in 1.28; facts §4.3), and the load balancer's targets,
// the nodes, stay healthy meanwhile. ok is false where that does not hold:
// ip targets, externalTrafficPolicy: Local (the node's health check fails
// once it has only terminating endpoints), a StatefulSet (it starts a
// replacement only once the old pod is gone), or an older cluster.
func terminatingFallback(p *Pass, w *inventory.Workload, e *exposure.Exposure) (first timing.Range, serves timing.Value, ok bool) {
	if e.TargetType.Value != timing.TargetInstance || e.Input().LocalTraffic || !p.KubeVersion.AtLeast(1, 26) ||
		(w.Kind != "Deployment" && w.Kind != "Rollout") {
		return first, serves, false
	}
	n := p.Numbers(e)
	cs := servingContainers(w, exposurePorts(p.ExposuresOf(w)))
	if len(cs) == 0 {
		return first, serves, false
	}
	first = n.FirstTraffic(podspec.Readiness(cs[0].ReadinessProbe))
	grace, _ := podspec.Grace(&w.Template.Spec)
	app := p.App(w)
	serves = timing.Value{Name: "terminating pods serve", Seconds: -1, Source: timing.FromDerived}
	for _, c := range cs {
		hook := int64(0)
		if ps := podspec.ReadPreStop(c); ps.Present && ps.Known && (ps.Handler != "sleep" || p.KubeVersion.NativeSleep()) {
			hook = ps.Seconds
		}
		term, kill := timing.Signals(float64(hook), float64(grace))
		end, detail := int64(term), fmt.Sprintf("until SIGTERM: preStop %ds, grace period %ds", hook, grace)
		if app.Shutdown == timing.ShutdownIgnore {
			end, detail = int64(kill), fmt.Sprintf("until SIGKILL: the app never gets SIGTERM (grace period %ds)", grace)
		}
		if serves.Seconds < 0 || end < serves.Seconds {
			serves.Seconds, serves.Detail = end, "container "+c.Name+" "+detail
		}
	}
	return first, serves, true
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
