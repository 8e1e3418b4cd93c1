package inventory

import "github.com/zerodrop/zerodrop/pkg/load"

// LabelsOf returns an object's metadata.labels, from what the loader typed
// or, for an object it did not type, from the raw object. Label selectors
// (-l, as in kubectl) are matched against these.
func LabelsOf(o *load.Object) map[string]string {
	if t := o.Typed; t != nil {
		if t.Err != nil {
			return nil
		}
		return t.Labels
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
