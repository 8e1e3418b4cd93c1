package inventory

import "github.com/zerodrop/zerodrop/pkg/load"

// LabelsOf returns an object's metadata.labels, from what Preparer made of
// it or, for an object it did not type, from the raw object. Label
// selectors (-l, as in kubectl) are matched against these.
func LabelsOf(o *load.Object) map[string]string {
	if t, ok := o.Typed.(*typed); ok {
		if m := t.meta(); m != nil {
			return m.Labels
		}
	}
	md, _ := o.Raw["metadata"].(map[string]any)
	raw, _ := md["labels"].(map[string]any)
	if len(raw) == 0 {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// meta returns the metadata of whatever the object was typed as.
func (t *typed) meta() *Meta {
	switch {
	case t.workload != nil:
		return &t.workload.Meta
	case t.service != nil:
		return &t.service.Meta
	case t.ingress != nil:
		return &t.ingress.Meta
	case t.pdb != nil:
		return &t.pdb.Meta
	case t.namespace != nil:
		return &t.namespace.Meta
	case t.ingressClass != nil:
		return &t.ingressClass.Meta
	case t.classParams != nil:
		return &t.classParams.Meta
	case t.tgb != nil:
		return &t.tgb.Meta
	}
	return nil
}
