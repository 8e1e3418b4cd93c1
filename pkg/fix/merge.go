package fix

import (
	"fmt"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"
	sigyaml "sigs.k8s.io/yaml"
)

// patchNode turns a patch body into a node tree.
func patchNode(body map[string]any) (*kyaml.RNode, error) {
	b, err := sigyaml.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding patch: %w", err)
	}
	return kyaml.Parse(string(b))
}

// applyMerge merges a strategic-merge patch body into a document's node,
// keeping the comments of every field the patch overwrites.
func applyMerge(dest *kyaml.RNode, body map[string]any) (*kyaml.RNode, error) {
	p, err := patchNode(body)
	if err != nil {
		return nil, err
	}
	carryComments(p.YNode(), dest.YNode())
	out, err := merge2.Merge(p, dest, kyaml.MergeOptions{ListIncreaseDirection: kyaml.MergeOptionsListAppend})
	if err != nil {
		return nil, fmt.Errorf("merging patch: %w", err)
	}
	return out, nil
}

// carryComments copies comments from dest onto the matching nodes of the
// patch, so that a value the patch replaces keeps its comment. Lists of
// mappings are matched by their "name" field.
func carryComments(p, d *kyaml.Node) {
	if p == nil || d == nil {
		return
	}
	if p.LineComment == "" {
		p.LineComment = d.LineComment
	}
	if p.HeadComment == "" {
		p.HeadComment = d.HeadComment
	}
	if p.FootComment == "" {
		p.FootComment = d.FootComment
	}
	switch {
	case p.Kind == kyaml.MappingNode && d.Kind == kyaml.MappingNode:
		for i := 0; i+1 < len(p.Content); i += 2 {
			for j := 0; j+1 < len(d.Content); j += 2 {
				if p.Content[i].Value == d.Content[j].Value {
					carryComments(p.Content[i], d.Content[j])
					carryComments(p.Content[i+1], d.Content[j+1])
				}
			}
		}
	case p.Kind == kyaml.SequenceNode && d.Kind == kyaml.SequenceNode:
		for _, pe := range p.Content {
			name := fieldValue(pe, "name")
			if name == "" {
				continue
			}
			for _, de := range d.Content {
				if fieldValue(de, "name") == name {
					carryComments(pe, de)
				}
			}
		}
	}
}

func fieldValue(n *kyaml.Node, key string) string {
	if n == nil || n.Kind != kyaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// mergeBodies folds patch b into patch a, for writing one patch per object.
// Maps merge key by key, lists of named items merge by name, anything else
// in b replaces a; nil values (deletions) are kept.
func mergeBodies(a, b map[string]any) (map[string]any, error) {
	return mergeMaps(a, b), nil
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, bv := range b {
		av, ok := out[k]
		if !ok {
			out[k] = bv
			continue
		}
		switch bt := bv.(type) {
		case map[string]any:
			if at, ok := av.(map[string]any); ok {
				out[k] = mergeMaps(at, bt)
				continue
			}
		case []any:
			if at, ok := av.([]any); ok && named(at) && named(bt) {
				out[k] = mergeNamed(at, bt)
				continue
			}
		}
		out[k] = bv
	}
	return out
}

// named reports a list whose items are all maps with a "name".
func named(l []any) bool {
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["name"].(string); !ok {
			return false
		}
	}
	return len(l) > 0
}

func mergeNamed(a, b []any) []any {
	out := append([]any(nil), a...)
	for _, be := range b {
		bm := be.(map[string]any)
		merged := false
		for i, ae := range out {
			am := ae.(map[string]any)
			if am["name"] == bm["name"] {
				out[i] = mergeMaps(am, bm)
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, bm)
		}
	}
	return out
}
