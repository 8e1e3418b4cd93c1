package fix

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"
	sigyaml "sigs.k8s.io/yaml"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
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
func mergeBodies(a, b map[string]any) (map[string]any, error) {
	if a == nil {
		return b, nil
	}
	an, err := patchNode(a)
	if err != nil {
		return nil, err
	}
	bn, err := patchNode(b)
	if err != nil {
		return nil, err
	}
	out, err := merge2.Merge(bn, an, kyaml.MergeOptions{ListIncreaseDirection: kyaml.MergeOptionsListAppend})
	if err != nil {
		return nil, err
	}
	s, err := out.String()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := sigyaml.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}
