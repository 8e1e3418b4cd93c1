package yamledit

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Merge merges a strategic-merge patch body into a mapping node, the
// way kustomize applies such a patch to the kinds zerodrop patches: maps
// merge key by key, lists of named items (containers) merge by name, other
// lists and scalars are replaced, a nil value deletes the key, and a map
// holding "$patch: replace" replaces what is there. Keys the patch adds go
// after the existing ones; every node the patch does not replace keeps its
// position, style and comments, and a replaced value keeps the comments of
// the value it replaces.
//
// rec, when not nil, records what the merge replaced and whether it deleted
// anything, for writing the change into the text in place (splice.go).
//
// The whole merge is checked first, so that a patch that cannot be merged
// leaves the tree as it was.
func Merge(dest *yaml.Node, patch map[string]any, rec *Edits) error {
	if err := checkMerge(dest, patch, ""); err != nil {
		return err
	}
	return merge(dest, patch, rec)
}

// checkMerge finds what would stop a merge, before anything changes: a
// map or named list to merge into that is a YAML alias (replacing it would
// drop what it points to), a list the patch merges by name whose items are
// not all named mappings (replacing it would drop the others). A scalar
// written over an alias is fine: what the alias points to stays.
func checkMerge(dest *yaml.Node, patch map[string]any, path string) error {
	if dest.Kind != yaml.MappingNode {
		return fmt.Errorf("cannot merge a mapping into a %s at %s", kindName(dest), orRoot(path))
	}
	for _, k := range sortedKeys(patch) {
		i := keyIndex(dest, k)
		if patch[k] == nil || i < 0 {
			continue
		}
		cur, at := dest.Content[i+1], path+"."+k
		switch pv := patch[k].(type) {
		case map[string]any:
			if cur.Kind == yaml.AliasNode && pv["$patch"] != "replace" {
				return fmt.Errorf("%s is a YAML alias (*%s); change it by hand", at[1:], cur.Value)
			}
			if pv["$patch"] != "replace" && cur.Kind == yaml.MappingNode {
				if err := checkMerge(cur, pv, at); err != nil {
					return err
				}
			}
		case []any:
			if named(pv) && cur.Kind == yaml.AliasNode {
				return fmt.Errorf("%s is a YAML alias (*%s); change it by hand", at[1:], cur.Value)
			}
			if !named(pv) || cur.Kind != yaml.SequenceNode {
				continue
			}
			if !namedSeq(cur) {
				return fmt.Errorf("%s holds items that are not plain named mappings (an alias, say); change it by hand", at[1:])
			}
			for _, it := range pv {
				m := it.(map[string]any)
				for _, e := range cur.Content {
					if Scalar(Child(e, "name")) == m["name"] {
						if err := checkMerge(e, m, fmt.Sprintf("%s[%v]", at, m["name"])); err != nil {
							return err
						}
						break
					}
				}
			}
		}
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "the top"
	}
	return path[1:]
}

// merge does what mergeInto describes, once checkMerge has allowed it.
func merge(dest *yaml.Node, patch map[string]any, rec *Edits) error {
	if dest.Kind != yaml.MappingNode {
		return fmt.Errorf("cannot merge a mapping into a %s", kindName(dest))
	}
	for _, k := range sortedKeys(patch) {
		v := patch[k]
		i := keyIndex(dest, k)
		if v == nil {
			if i >= 0 {
				rec.delete(dest.Content[i])
				dest.Content = append(dest.Content[:i], dest.Content[i+2:]...)
			}
			continue
		}
		if i < 0 {
			n, err := nodeOf(withoutDirective(v))
			if err != nil {
				return err
			}
			dest.Content = append(dest.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, n)
			continue
		}
		cur := dest.Content[i+1]
		switch pv := v.(type) {
		case map[string]any:
			if pv["$patch"] != "replace" && cur.Kind == yaml.MappingNode {
				if err := merge(cur, pv, rec); err != nil {
					return err
				}
				continue
			}
		case []any:
			if cur.Kind == yaml.SequenceNode && named(pv) && namedSeq(cur) {
				if err := mergeNamedSeq(cur, pv, rec); err != nil {
					return err
				}
				continue
			}
		}
		n, err := nodeOf(withoutDirective(v))
		if err != nil {
			return err
		}
		keepComments(n, cur)
		rec.replace(cur, n)
		dest.Content[i+1] = n
	}
	return nil
}

// mergeNamedSeq merges items into a sequence of mappings by their name.
func mergeNamedSeq(seq *yaml.Node, items []any, rec *Edits) error {
	for _, it := range items {
		m := it.(map[string]any)
		var target *yaml.Node
		for _, e := range seq.Content {
			if Scalar(Child(e, "name")) == m["name"] {
				target = e
				break
			}
		}
		if target == nil {
			n, err := nodeOf(m)
			if err != nil {
				return err
			}
			seq.Content = append(seq.Content, n)
			continue
		}
		if err := merge(target, m, rec); err != nil {
			return err
		}
	}
	return nil
}

func namedSeq(n *yaml.Node) bool {
	for _, e := range n.Content {
		if e.Kind != yaml.MappingNode || Child(e, "name") == nil {
			return false
		}
	}
	return true
}

// nodeOf builds a node tree for a patch value (map keys sorted). The kinds
// of value patches hold (the unstructured forms: maps, lists, strings,
// numbers, booleans) are built directly, which is many times cheaper than
// yaml's Encode (it emits and parses again); the encoder quotes a string
// that would read as another type when it prints the tree.
func nodeOf(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: make([]*yaml.Node, 0, 2*len(x))}
		for _, k := range sortedKeys(x) {
			e, err := nodeOf(x[k])
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, strNode(k), e)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: make([]*yaml.Node, 0, len(x))}
		for _, it := range x {
			e, err := nodeOf(it)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, e)
		}
		return n, nil
	case string:
		if strings.Contains(x, "\n") || !utf8.ValidString(x) {
			break // the encoder picks a block or binary style for these
		}
		return strNode(x), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}, nil
	case int:
		return intNode(int64(x)), nil
	case int32:
		return intNode(int64(x)), nil
	case int64:
		return intNode(x), nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding patch: %w", err)
	}
	return &n, nil
}

// Layout is how a file writes YAML, for new objects that go with it.
type Layout struct {
	Unit int    // indentation step
	Wide bool   // list dashes indented under their key
	NL   string // line end
}

// Object prints a new object as YAML in the layout, keys sorted, after a
// comment line.
func (l Layout) Object(obj map[string]any, comment string) ([]byte, error) {
	n, err := nodeOf(obj)
	if err != nil {
		return nil, err
	}
	b, err := encode(n, l.Unit, l.Wide)
	if err != nil {
		return nil, err
	}
	b = append([]byte(comment+"\n"), b...)
	if l.NL != "\n" {
		b = bytes.ReplaceAll(b, []byte("\n"), []byte(l.NL))
	}
	return b, nil
}

// strNode is a string scalar. Words YAML 1.1 reads as booleans ("yes",
// "off", "n") and sexagesimal numbers ("1:30") are double-quoted, as yaml's
// Encode does, so that YAML 1.1 readers (sigs.k8s.io/yaml, yaml.v2) still
// see strings.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if oldBools[s] || base60.MatchString(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

var oldBools = map[string]bool{}

func init() {
	for _, w := range []string{"y", "yes", "n", "no", "on", "off"} {
		for _, c := range []string{w, strings.ToUpper(w[:1]) + w[1:], strings.ToUpper(w)} {
			oldBools[c] = true
		}
	}
}

var base60 = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

func intNode(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(i, 10)}
}

// withoutDirective drops "$patch" keys, which only steer the merge.
func withoutDirective(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if k != "$patch" {
				out[k] = withoutDirective(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutDirective(e)
		}
		return out
	}
	return v
}

func keepComments(n, old *yaml.Node) {
	// A list or map written inline stays inline.
	if n.Kind == old.Kind && n.Kind != yaml.ScalarNode && old.Style&yaml.FlowStyle != 0 {
		n.Style |= yaml.FlowStyle
	}
	keepQuotes(n, old)
	// So do the strings of a list written again item for item (a command).
	if n.Kind == yaml.SequenceNode && old.Kind == yaml.SequenceNode && len(n.Content) == len(old.Content) {
		for i := range n.Content {
			keepQuotes(n.Content[i], old.Content[i])
		}
	}
	if n.HeadComment == "" {
		n.HeadComment = old.HeadComment
	}
	if n.LineComment == "" {
		n.LineComment = old.LineComment
	}
	if n.FootComment == "" {
		n.FootComment = old.FootComment
	}
}

// keepQuotes quotes a new string the way the string it replaces was.
func keepQuotes(n, old *yaml.Node) {
	const quoted = yaml.SingleQuotedStyle | yaml.DoubleQuotedStyle
	if n.Kind == yaml.ScalarNode && old.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Style == 0 && old.Style&quoted != 0 &&
		!strings.ContainsAny(n.Value, "\n") {
		n.Style = old.Style & quoted
	}
}

func keyIndex(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i
		}
	}
	return -1
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	}
	return "node"
}

// MergeBodies folds patch b into patch a, for writing one patch per object.
// Maps merge key by key, lists of named items merge by name, anything else
// in b replaces a; nil values (deletions) are kept.
func MergeBodies(a, b map[string]any) (map[string]any, error) {
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

// Child returns the value of key in a mapping node, or nil.
func Child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Scalar is the value of a scalar node, or "" for anything else.
func Scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
