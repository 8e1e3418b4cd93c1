package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PDB flags missing and broken PodDisruptionBudgets: a node drain without one
// may evict every replica at once; one that forbids every eviction blocks
// drains; policy/v1beta1 is no longer served.
var PDB = register(&Rule{
	ID: "ZD006", Name: "pdb", Severity: finding.Error, Scope: Selected,
	Title: "Missing, removed-version or blocking PodDisruptionBudget",
	Run:   runPDB,
})

func runPDB(p *Pass) {
	for _, w := range p.SelectedWorkloads() {
		// Without a budget a drain may evict every replica at once, which
		// matters as soon as there are two: an autoscaled workload is
		// judged at its maxReplicas (at one replica a budget that allows
		// any eviction changes nothing, and one that allows none blocks).
		r := p.Replicas(w)
		if !isEvictable(w) || r.Max < 2 || len(p.Graph.WorkloadPDBs[w]) > 0 {
			continue
		}
		create := &finding.Patch{
			Target: inventory.Ref{APIVersion: "policy/v1", Kind: "PodDisruptionBudget", Namespace: w.Namespace, Name: w.Name},
			Create: map[string]any{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
				"metadata": map[string]any{"name": w.Name, "namespace": w.Namespace},
				"spec":     map[string]any{"maxUnavailable": int64(1), "selector": podLabelsSelector(w)}},
			Near: w.Pos.File,
			What: fmt.Sprintf("new PodDisruptionBudget %s (policy/v1, maxUnavailable 1)", w.Name),
		}
		p.ReportPatch(create, podMeta(w), "", finding.Warning,
			judgedAt(fmt.Sprintf("%s runs %s behind a Service but no PodDisruptionBudget selects them: a node drain or cluster upgrade may evict all of them at once, leaving nothing to serve.", w.Ref, upTo(r)), r, true),
			fmt.Sprintf("add a policy/v1 PodDisruptionBudget with maxUnavailable: 1 and the selector of %s", w.Ref),
			replicasFact(r, r.Max))
	}
	workloadsIn := map[string]bool{}
	for _, w := range p.Graph.Inv.Workloads {
		workloadsIn[w.Namespace] = true
	}
	for _, pdb := range p.Graph.Inv.PDBs {
		checkPDBObject(p, pdb, workloadsIn[pdb.Namespace])
	}
}

func checkPDBObject(p *Pass, pdb *inventory.PDB, nsHasWorkloads bool) {
	if pdb.APIVersion == "policy/v1beta1" {
		sev := finding.Error
		detail := fmt.Sprintf("policy/v1beta1, which is not served from Kubernetes 1.25: on %s applying this object fails and the workload has no budget, so a node drain evicts every replica on the node at once and the load balancer can be left with no target until new pods register", p.KubeVersion)
		if !p.KubeVersion.AtLeast(1, 25) {
			sev = finding.Warning
			detail = "policy/v1beta1, which is removed in Kubernetes 1.25: the next upgrade breaks this object"
		}
		if pdb.Spec.Selector != nil && len(pdb.Spec.Selector.MatchLabels) == 0 && len(pdb.Spec.Selector.MatchExpressions) == 0 {
			detail += "; note that its empty selector matches no pods in v1beta1 but every pod of the namespace in v1"
		}
		var convert *finding.Patch
		if sel := pdb.Spec.Selector; sel != nil && (len(sel.MatchLabels) > 0 || len(sel.MatchExpressions) > 0) {
			// An empty selector changes meaning between the versions; leave
			// that one to a person.
			convert = &finding.Patch{Target: pdb.Ref, Merge: map[string]any{"apiVersion": "policy/v1"}, What: "apiVersion policy/v1beta1 → policy/v1"}
		}
		p.ReportPatch(convert, &pdb.Meta, "", sev, fmt.Sprintf("%s uses %s.", pdb.Ref, detail),
			"change apiVersion to policy/v1 (same fields)", finding.Fact("apiVersion", pdb.APIVersion, timing.FromManifest, ""))
	}
	if pdb.Spec.Selector == nil {
		// As bad as no budget at all (which is a warning), not worse.
		p.Report(&pdb.Meta, "", finding.Warning,
			fmt.Sprintf("%s has no selector, so it selects no pods and protects nothing: a node drain may evict every replica it was meant to keep.", pdb.Ref),
			"add spec.selector.matchLabels with the workload's pod labels")
		return
	}
	ws := p.Graph.PDBWorkloads[pdb]
	if len(ws) == 0 {
		if sel := pdb.Spec.Selector; nsHasWorkloads && len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
			// Only policy/v1beta1 gets here: in v1, {} selects every pod
			// of the namespace.
			p.Report(&pdb.Meta, "", finding.Warning,
				fmt.Sprintf("%s has an empty selector, which policy/v1beta1 reads as selecting no pod: it protects nothing (policy/v1 reads the same {} as every pod of the namespace).", pdb.Ref),
				"set spec.selector.matchLabels to the pod labels of the workload it should protect")
			return
		}
		if nsHasWorkloads {
			p.Report(&pdb.Meta, "", finding.Warning,
				fmt.Sprintf("%s selects no pod of any workload in the input; it probably protects nothing (a typo in its labels?).", pdb.Ref),
				"make spec.selector match the pod template labels of the workload it should protect")
		}
		return
	}
	// A budget is judged at the fewest pods it may have to keep: the sum
	// of the selected workloads' counts, at minReplicas where an autoscaler
	// sets them (it does not scale up to let a drain through).
	var total int32
	scaled := false
	for _, w := range ws {
		r := p.Replicas(w)
		total += r.Min
		scaled = scaled || r.Scaled()
	}
	judged := func(msg string) string {
		for _, w := range ws {
			msg = judgedAt(msg, p.Replicas(w), false)
		}
		return msg
	}
	selected := finding.Fact("selected replicas", int64(total), timing.FromManifest, "")
	if scaled {
		selected = finding.Fact("selected replicas", int64(total), timing.FromManifest, "minReplicas of the autoscaled workloads, spec.replicas of the others")
	}
	if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil && pdb.APIVersion != "policy/v1beta1" {
		// The API accepts it, and the disruption controller then wants no
		// pod healthy (desiredHealthy 0): every eviction is allowed.
		// (policy/v1beta1 defaulted minAvailable to 1 instead.)
		allow := specPatch(&pdb.Meta, map[string]any{"maxUnavailable": int64(1)}, "maxUnavailable 1 (one eviction at a time)")
		p.ReportPatch(allow, &pdb.Meta, "", finding.Warning,
			judged(fmt.Sprintf("%s sets neither minAvailable nor maxUnavailable: Kubernetes accepts it, and its disruption controller then requires no pod to stay healthy, so a node drain or cluster upgrade may evict all %d selected replicas at once. It protects nothing.", pdb.Ref, total)),
			"set maxUnavailable: 1 (or a minAvailable below the replica count)", selected)
		return
	}
	if blocksAll(pdb, total) {
		allow := specPatch(&pdb.Meta, map[string]any{"maxUnavailable": int64(1), "minAvailable": nil}, "maxUnavailable 1 (allows one eviction at a time)")
		p.ReportPatch(allow, &pdb.Meta, "", finding.Warning,
			judged(fmt.Sprintf("%s allows no voluntary eviction for its %d selected replicas: node drains and cluster upgrades hang on these pods until someone deletes them by hand (and then without any protection).", pdb.Ref, total)),
			"use maxUnavailable: 1 (or a minAvailable below the replica count)", selected)
	}
}

// blocksAll reports a budget that permits no eviction at full health.
func blocksAll(pdb *inventory.PDB, replicas int32) bool {
	if mu := pdb.Spec.MaxUnavailable; mu != nil {
		v, err := intstr.GetScaledValueFromIntOrPercent(mu, int(replicas), true)
		return err == nil && v == 0
	}
	if ma := pdb.Spec.MinAvailable; ma != nil {
		v, err := intstr.GetScaledValueFromIntOrPercent(ma, int(replicas), true)
		return err == nil && v >= int(replicas)
	}
	// Neither set: policy/v1beta1 defaults minAvailable to 1; policy/v1
	// requires nothing.
	return pdb.APIVersion == "policy/v1beta1" && replicas <= 1
}

// upTo words a replica count: "3 replicas", or "up to 10 replicas" for an
// autoscaled workload.
func upTo(r graph.Replicas) string {
	if r.Min == r.Max {
		return fmt.Sprintf("%d replicas", r.Max)
	}
	return fmt.Sprintf("up to %d replicas", r.Max)
}
