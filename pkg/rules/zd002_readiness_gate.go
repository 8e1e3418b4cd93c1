package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// ReadinessGate flags ip-target exposures whose namespace does not get the
// controller's readiness gate: without it a rollout moves on as soon as a pod
// is Ready in Kubernetes, long before the LB has registered it.
var ReadinessGate = register(&Rule{
	ID: "ZD002", Name: "readiness-gate", Severity: finding.Error, Scope: Exposed,
	Title: "Namespace does not inject the load balancer readiness gate",
	Run:   runReadinessGate,
	Live:  liveReadinessGate,
})

func runReadinessGate(p *Pass) {
	reported := map[string]bool{}
	for _, w := range p.ExposedWorkloads() {
		var gated *exposure.Exposure
		for _, e := range p.ExposuresOf(w) {
			if e.GateCapable() && (gated == nil || p.Numbers(e).Register.High > p.Numbers(gated).Register.High) {
				gated = e
			}
		}
		if gated == nil {
			continue
		}
		ns := p.Graph.Namespace(w.Namespace)
		if ns != nil && ns.Labels[exposure.GateLabel] == "enabled" {
			continue
		}
		n := p.Numbers(gated)
		minReady := timing.Value{Name: "minReadySeconds", Seconds: int64(w.MinReadySeconds), Source: timing.FromManifest, Detail: "spec.minReadySeconds"}
		if w.MinReadySeconds == 0 {
			minReady.Source, minReady.Detail = timing.FromDefault, "Kubernetes default"
		}
		ev := append(lbContext(gated), finding.Span(n.Register), finding.Seconds(minReady))
		// A node drain evicts through the eviction API, and the budget counts
		// Ready pods: minReadySeconds slows a rollout, never a drain.
		drain := fmt.Sprintf("On a node drain (kubectl drain, node upgrades, Karpenter consolidation) evictions and PodDisruptionBudgets count a pod as healthy once it is Ready and ignore minReadySeconds, so the next old pod is evicted while %s still has not registered the new one (%s to register and pass health checks): the load balancer is left with no healthy target and requests fail (%s).",
			gated.Describe(), n.Register, failureWording(gated.LB))
		var msg string
		if minReady.Seconds >= n.Register.High {
			msg = fmt.Sprintf("Pods of %s get no load balancer readiness gate; minReadySeconds %d covers registration (%s) during a rollout, but not during a drain. ", w.Ref, minReady.Seconds, n.Register) + drain
		} else {
			msg = fmt.Sprintf("Pods of %s count as available %ds after they are Ready, but %s needs %s to register them and pass health checks: a rollout replaces old pods faster than the load balancer takes new ones, and can leave it with no healthy target. ", w.Ref, minReady.Seconds, gated.Describe(), n.Register) + drain
		}
		fix := fmt.Sprintf("label namespace %s with %s=enabled before the pods are created (pods that exist get the gate only when re-created)", w.Namespace, exposure.GateLabel)
		if ns == nil {
			key := w.Namespace
			if reported[key] {
				continue
			}
			reported[key] = true
			msg = fmt.Sprintf("Namespace %s is not in the input, so zerodrop cannot see whether it has the %s=enabled label. ", w.Namespace, exposure.GateLabel) + msg
			create := &finding.Patch{
				Target: inventory.Ref{APIVersion: "v1", Kind: "Namespace", Name: w.Namespace},
				Create: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{
					"name": w.Namespace, "labels": map[string]any{exposure.GateLabel: "enabled"}}},
				Near: w.Pos.File,
				What: fmt.Sprintf("Namespace %s with %s=enabled (apply it before the workload; existing pods get the gate when re-created)", w.Namespace, exposure.GateLabel),
			}
			p.ReportPatch(create, podMeta(w), "", finding.Warning, msg, fix, ev...)
			continue
		}
		if reported[ns.Name] {
			continue
		}
		reported[ns.Name] = true
		label := &finding.Patch{Target: ns.Ref,
			Merge: map[string]any{"metadata": map[string]any{"labels": map[string]any{exposure.GateLabel: "enabled"}}},
			What:  exposure.GateLabel + "=enabled"}
		p.ReportPatch(label, &ns.Meta, "", finding.Error, msg, fix, ev...)
	}
}
