// Package graph links the inventory's objects: which workloads a Service or a
// PodDisruptionBudget selects, which Service an Ingress backend or a
// TargetGroupBinding names, which workload a HorizontalPodAutoscaler scales
// (and so how many replicas each workload runs). It indexes workloads by namespace and label once,
// so linking is linear in the number of objects instead of quadratic.
package graph

import (
	"fmt"
	"sort"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Graph is the linked inventory.
type Graph struct {
	Inv *inventory.Inventory
	// ServiceWorkloads maps a Service to the workloads whose pods it selects.
	ServiceWorkloads map[*inventory.Service][]*inventory.Workload
	// WorkloadServices is the reverse of ServiceWorkloads.
	WorkloadServices map[*inventory.Workload][]*inventory.Service
	// PDBWorkloads maps a PDB to the workloads whose pods it selects.
	PDBWorkloads map[*inventory.PDB][]*inventory.Workload
	// WorkloadPDBs is the reverse of PDBWorkloads.
	WorkloadPDBs map[*inventory.Workload][]*inventory.PDB
	// WorkloadHPAs maps a workload to the autoscalers that scale it (more
	// than one is a conflict: see Replicas).
	WorkloadHPAs map[*inventory.Workload][]*inventory.HPA
	// UnmatchedHPAs are autoscalers whose Deployment, StatefulSet,
	// ReplicaSet or Rollout is not in the input.
	UnmatchedHPAs []*inventory.HPA
	// Notes are remarks on how objects link, such as two autoscalers
	// scaling one workload.
	Notes []inventory.Note

	services map[nsName]*inventory.Service
	// byNS indexes workloads for linking; Build drops it when done.
	byNS map[string]*nsIndex
}

type nsName struct{ namespace, name string }

type nsIndex struct {
	all     []*inventory.Workload
	byLabel map[string][]*inventory.Workload // "key=value"
}

// Build links the inventory.
func Build(inv *inventory.Inventory) *Graph {
	g := &Graph{
		Inv:              inv,
		ServiceWorkloads: map[*inventory.Service][]*inventory.Workload{},
		WorkloadServices: map[*inventory.Workload][]*inventory.Service{},
		PDBWorkloads:     map[*inventory.PDB][]*inventory.Workload{},
		WorkloadPDBs:     map[*inventory.Workload][]*inventory.PDB{},
		WorkloadHPAs:     map[*inventory.Workload][]*inventory.HPA{},
		services:         make(map[nsName]*inventory.Service, len(inv.Services)),
		byNS:             map[string]*nsIndex{},
	}
	for _, w := range inv.Workloads {
		idx := g.byNS[w.Namespace]
		if idx == nil {
			idx = &nsIndex{byLabel: map[string][]*inventory.Workload{}}
			g.byNS[w.Namespace] = idx
		}
		idx.all = append(idx.all, w)
		for _, l := range w.Template.Labels {
			key := l.Key + "=" + l.Value
			idx.byLabel[key] = append(idx.byLabel[key], w)
		}
	}
	for _, s := range inv.Services {
		g.services[nsName{s.Namespace, s.Name}] = s
		if len(s.Spec.Selector) == 0 {
			continue // an empty selector selects nothing; endpoints are managed by hand
		}
		ws := g.selectMap(s.Namespace, s.Spec.Selector)
		if len(ws) > 0 {
			g.ServiceWorkloads[s] = ws
			for _, w := range ws {
				g.WorkloadServices[w] = append(g.WorkloadServices[w], s)
			}
		}
	}
	for _, p := range inv.PDBs {
		ws := g.selectLabelSelector(p.Namespace, p.Spec.Selector, p.Object.APIVersion == "policy/v1beta1")
		if len(ws) > 0 {
			g.PDBWorkloads[p] = ws
			for _, w := range ws {
				g.WorkloadPDBs[w] = append(g.WorkloadPDBs[w], p)
			}
		}
	}
	g.linkHPAs()
	g.byNS = nil
	return g
}

// Service returns the Service of that name, if it was in the input.
func (g *Graph) Service(namespace, name string) *inventory.Service {
	return g.services[nsName{namespace, name}]
}

// Namespace returns the Namespace object, if it was in the input.
func (g *Graph) Namespace(name string) *inventory.Namespace {
	return g.Inv.Namespaces[name]
}

// selectMap returns the workloads in ns whose pod labels include every pair
// of sel, looking up candidates through the rarest pair.
func (g *Graph) selectMap(ns string, sel map[string]string) []*inventory.Workload {
	idx := g.byNS[ns]
	if idx == nil {
		return nil
	}
	var cands []*inventory.Workload
	first := true
	for k, v := range sel {
		c := idx.byLabel[k+"="+v]
		if first || len(c) < len(cands) {
			cands, first = c, false
		}
		if len(c) == 0 {
			return nil
		}
	}
	var out []*inventory.Workload
	for _, w := range cands {
		if subset(sel, w.Template.Labels) {
			out = append(out, w)
		}
	}
	return out
}

// selectLabelSelector applies a PDB's selector. A nil selector selects
// nothing; an empty one selects every pod of the namespace in policy/v1 and
// nothing in policy/v1beta1.
func (g *Graph) selectLabelSelector(ns string, sel *metav1.LabelSelector, v1beta1 bool) []*inventory.Workload {
	if sel == nil {
		return nil
	}
	idx := g.byNS[ns]
	if idx == nil {
		return nil
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		if v1beta1 {
			return nil
		}
		return append([]*inventory.Workload(nil), idx.all...)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	cands := idx.all
	if len(sel.MatchLabels) > 0 {
		cands = g.selectMap(ns, sel.MatchLabels)
	}
	var out []*inventory.Workload
	for _, w := range cands {
		if s.Matches(w.Template.Labels) {
			out = append(out, w)
		}
	}
	return out
}

func subset(sel map[string]string, lbls inventory.Labels) bool {
	for k, v := range sel {
		if got, ok := lbls.Lookup(k); !ok || got != v {
			return false
		}
	}
	return true
}

// SortedWorkloads returns workloads in a stable order: file, then line.
func SortedWorkloads(ws []*inventory.Workload) []*inventory.Workload {
	out := append([]*inventory.Workload(nil), ws...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.File != out[j].Pos.File {
			return out[i].Pos.File < out[j].Pos.File
		}
		return out[i].Pos.Line < out[j].Pos.Line
	})
	return out
}

// scalable lists the kinds an autoscaler's target is matched against: the
// workload kinds with a scale subresource. A target of another kind (a
// custom resource) is neither linked nor reported missing.
var scalable = map[string]bool{"Deployment": true, "StatefulSet": true, "ReplicaSet": true, "Rollout": true}

// linkHPAs links each autoscaler to the workload its scaleTargetRef names:
// same namespace, kind and name. apps and extensions are one group to the
// API server, so the target's apiVersion is compared by group only for Argo
// Rollouts, the one kind whose name another group could share.
func (g *Graph) linkHPAs() {
	if len(g.Inv.HPAs) == 0 {
		return
	}
	byName := map[inventory.Ref]*inventory.Workload{}
	for _, w := range g.Inv.Workloads {
		if scalable[w.Kind] {
			byName[inventory.Ref{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name}] = w
		}
	}
	for _, h := range g.Inv.HPAs {
		t := h.Target
		if !scalable[t.Kind] {
			continue
		}
		w := byName[inventory.Ref{Kind: t.Kind, Namespace: h.Namespace, Name: t.Name}]
		if w == nil || (t.Kind == "Rollout" && t.APIVersion != "" && group(t.APIVersion) != "argoproj.io") {
			g.UnmatchedHPAs = append(g.UnmatchedHPAs, h)
			continue
		}
		g.WorkloadHPAs[w] = append(g.WorkloadHPAs[w], h)
	}
	for _, w := range g.Inv.Workloads {
		hs := g.WorkloadHPAs[w]
		if len(hs) < 2 {
			continue
		}
		r := g.Replicas(w)
		g.Notes = append(g.Notes, inventory.Note{Pos: w.Pos, Ref: w.Ref, File: w.Pos.File, Line: w.Pos.Line,
			Message: fmt.Sprintf("scaled by %s: from Kubernetes 1.26 the HPA controller stops every autoscaler of pods that more than one selects (condition ScalingActive false, reason AmbiguousSelector), so the replica count stays where it is; judged at %d–%d, the widest of their ranges", hpaList(hs), r.Min, r.Max)})
	}
}

func group(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

func hpaList(hs []*inventory.HPA) string {
	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = "HorizontalPodAutoscaler " + h.Name
	}
	return strings.Join(names, " and ")
}

// Replicas is how many pods a workload runs: a range, because an
// autoscaler moves the count between its minReplicas and maxReplicas, and
// spec.replicas is then stale or left out. It is the one answer to "how
// many replicas" that every rule and the simulator read. Rules judge
// disruption, rollout and spread at Min (the fewest pods there are to keep
// serving) and scale at Max.
type Replicas struct {
	Min, Max int32
	// HPA is the autoscaler that sets the range; nil when spec.replicas
	// does. Conflicting lists every autoscaler when more than one scales
	// the workload (the range is then the widest of theirs).
	HPA         *inventory.HPA
	Conflicting []*inventory.HPA
	// Defaulted is true when spec.replicas is not written and no
	// autoscaler sets the count: Kubernetes' default 1.
	Defaulted bool
}

// Replicas returns w's replica range. A DaemonSet's count is its nodes'
// and a Pod's is one; neither is scaled by an autoscaler.
func (g *Graph) Replicas(w *inventory.Workload) Replicas {
	hs := g.WorkloadHPAs[w]
	if len(hs) == 0 || w.PerNode {
		return Replicas{Min: w.Replicas, Max: w.Replicas, Defaulted: !w.ReplicasSet && w.Kind != "Pod" && !w.PerNode}
	}
	r := Replicas{HPA: hs[0]}
	r.Min, r.Max = HPARange(hs[0])
	if len(hs) > 1 {
		r.Conflicting = hs
		for _, h := range hs[1:] {
			lo, hi := HPARange(h)
			r.Min, r.Max = min(r.Min, lo), max(r.Max, hi)
		}
	}
	return r
}

// HPARange is the replica range an autoscaler keeps its workload in. A
// scale-to-zero autoscaler (minReplicas 0, behind the alpha HPAScaleToZero
// gate) is judged at one replica: with none there is nothing to disrupt.
func HPARange(h *inventory.HPA) (lo, hi int32) { return max(h.MinReplicas, 1), h.MaxReplicas }

// Scaled reports whether an autoscaler sets the count.
func (r Replicas) Scaled() bool { return r.HPA != nil }

// Source says where the count comes from, for evidence: "spec.replicas",
// "Kubernetes default 1" or the autoscaler and its range.
func (r Replicas) Source() string {
	switch {
	case len(r.Conflicting) > 0:
		return fmt.Sprintf("%s, conflicting (%d–%d)", hpaList(r.Conflicting), r.Min, r.Max)
	case r.HPA != nil:
		return fmt.Sprintf("HorizontalPodAutoscaler %s (minReplicas %d, maxReplicas %d)", r.HPA.Name, r.Min, r.Max)
	case r.Defaulted:
		return "spec.replicas unset: Kubernetes default 1"
	}
	return "spec.replicas"
}

// JudgedAt words, for a finding's message, which count a judgement rests
// on when an autoscaler sets it ("HPA web keeps 2–10 replicas; judged at
// minReplicas 2"); it is empty without one.
func (r Replicas) JudgedAt(atMax bool) string {
	if r.HPA == nil {
		return ""
	}
	who := "HPA " + r.HPA.Name + " keeps"
	if len(r.Conflicting) > 0 {
		who = "its conflicting autoscalers keep"
	}
	if atMax {
		return fmt.Sprintf("%s %d–%d replicas; judged at maxReplicas %d", who, r.Min, r.Max, r.Max)
	}
	return fmt.Sprintf("%s %d–%d replicas; judged at minReplicas %d", who, r.Min, r.Max, r.Min)
}
