package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// ZoneKey is the well-known zone label.
const ZoneKey = "topology.kubernetes.io/zone"

// Topology flags exposed workloads that can lose every target in a zone, or
// everywhere: a single replica, or replicas not spread across zones (an NLB
// zone with no healthy target is dropped from DNS only after health checks
// fail).
var Topology = register(&Rule{
	ID: "ZD012", Name: "topology", Severity: finding.Warning, Scope: Exposed,
	Title: "Single replica, or replicas not spread across zones",
	Run:   runTopology,
})

func runTopology(p *Pass) {
	for _, w := range p.ExposedWorkloads() {
		if w.PerNode || w.Kind == "Pod" {
			continue
		}
		e := p.Slowest(w)
		// Judged at the fewest replicas the workload runs: an autoscaler's
		// minReplicas is where a single pod, or one zone, is all there is.
		r := p.Replicas(w)
		ev := append(lbContext(e), replicasFact(r, r.Min))
		if r.Min == 1 {
			fix := "run at least 2 replicas, spread across zones"
			if r.Scaled() {
				fix = "set minReplicas to at least 2 on the autoscaler, and spread the pods across zones"
			}
			p.Report(podMeta(w), "", finding.Warning,
				judgedAt(fmt.Sprintf("%s has a single replica behind %s: a node drain, eviction or crash leaves the load balancer with no target until a new pod registers (%ds).", w.Ref, e.Describe(), p.Numbers(e).Register.High), r, false),
				fix, ev...)
			continue
		}
		if r.Min < 2 || spreadsZones(w) {
			continue
		}
		sev := finding.Info
		if e.LB == timing.NLB {
			sev = finding.Warning
		}
		p.ReportPatch(spreadPatch(w), podMeta(w), "", sev,
			judgedAt(fmt.Sprintf("%s's %d replicas are not spread across zones: they may all land in one zone, and losing it (or draining its nodes) empties %s.", w.Ref, r.Min, e.Describe()), r, false),
			fmt.Sprintf("add a topologySpreadConstraint on %s with maxSkew 1 and the pod labels", ZoneKey), ev...)
	}
}

func spreadsZones(w *inventory.Workload) bool {
	spec := &w.Template.Spec
	for _, c := range spec.TopologySpreadConstraints {
		if c.TopologyKey == ZoneKey || c.TopologyKey == "failure-domain.beta.kubernetes.io/zone" {
			return true
		}
	}
	if a := spec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, t := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			if t.TopologyKey == ZoneKey {
				return true
			}
		}
		for _, t := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if t.PodAffinityTerm.TopologyKey == ZoneKey {
				return true
			}
		}
	}
	return false
}

// spreadPatch adds a zone spread constraint, keeping the constraints the pod
// already has (the whole list is written, so the result does not depend on
// how a tool merges lists).
func spreadPatch(w *inventory.Workload) *finding.Patch {
	var list []any
	for i := range w.Template.Spec.TopologySpreadConstraints {
		list = append(list, toMap(&w.Template.Spec.TopologySpreadConstraints[i]))
	}
	list = append(list, map[string]any{"maxSkew": int64(1), "topologyKey": ZoneKey,
		"whenUnsatisfiable": "ScheduleAnyway", "labelSelector": podLabelsSelector(w)})
	return podSpecPatch(w, map[string]any{"topologySpreadConstraints": list}, "zone topologySpreadConstraint (maxSkew 1, ScheduleAnyway)")
}
