package exposure

import (
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
)

// Missing is an object a load balancer's configuration names that is not in
// the input: the exposure through it cannot be judged.
type Missing struct {
	// Ref is the object that is absent.
	Ref inventory.Ref
	// By lists the objects that name it, in input order.
	By []*inventory.Meta
}

// FindMissing lists the Services that AWS load balancer exposures name but
// the input lacks: backends of ALB Ingresses and the serviceRef of
// TargetGroupBindings. Find skips these exposures, so without this list a
// partial input would pass silently. Each missing Service is listed once.
func FindMissing(g *graph.Graph) []Missing {
	var out []Missing
	at := map[inventory.Ref]int{}
	add := func(ns, name string, by *inventory.Meta) {
		if name == "" || g.Service(ns, name) != nil {
			return
		}
		ref := inventory.Ref{APIVersion: "v1", Kind: "Service", Namespace: ns, Name: name}
		i, ok := at[ref]
		if !ok {
			i = len(out)
			at[ref] = i
			out = append(out, Missing{Ref: ref})
		}
		for _, b := range out[i].By {
			if b == by {
				return
			}
		}
		out[i].By = append(out[i].By, by)
	}
	for _, ing := range g.Inv.Ingresses {
		if !isALB(g, ing) {
			continue
		}
		for _, b := range ing.Backends() {
			add(ing.Namespace, b.Name, &ing.Meta)
		}
	}
	for _, tgb := range g.Inv.TargetGroupBindings {
		add(tgb.Namespace, tgb.ServiceName, &tgb.Meta)
	}
	return out
}
