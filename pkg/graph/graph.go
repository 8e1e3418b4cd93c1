// Package graph links the inventory's objects: which workloads a Service or a
// PodDisruptionBudget selects, which Service an Ingress backend or a
// TargetGroupBinding names. It indexes workloads by namespace and label once,
// so linking is linear in the number of objects instead of quadratic.
package graph

import (
	"sort"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
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

	services map[string]*inventory.Service // "ns/name"
	byNS     map[string]*nsIndex
}

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
		services:         make(map[string]*inventory.Service, len(inv.Services)),
		byNS:             map[string]*nsIndex{},
	}
	for _, w := range inv.Workloads {
		idx := g.byNS[w.Namespace]
		if idx == nil {
			idx = &nsIndex{byLabel: map[string][]*inventory.Workload{}}
			g.byNS[w.Namespace] = idx
		}
		idx.all = append(idx.all, w)
		for k, v := range w.Template.Labels {
			key := k + "=" + v
			idx.byLabel[key] = append(idx.byLabel[key], w)
		}
	}
	for _, s := range inv.Services {
		g.services[s.Namespace+"/"+s.Name] = s
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
	return g
}

// Service returns the Service of that name, if it was in the input.
func (g *Graph) Service(namespace, name string) *inventory.Service {
	return g.services[namespace+"/"+name]
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
		if s.Matches(labels.Set(w.Template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func subset(sel, lbls map[string]string) bool {
	for k, v := range sel {
		if got, ok := lbls[k]; !ok || got != v {
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
