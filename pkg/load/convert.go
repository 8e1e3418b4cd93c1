package load

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting, so a deeply nested document cannot exhaust the stack.
const maxDepth = 200

// converter turns a YAML node tree into JSON-compatible Go values, the way
// sigs.k8s.io/yaml (and so kubectl and the API server) reads YAML: YAML 1.1
// booleans, string keys. It expands aliases itself and counts every value an
// alias expansion produces, so a "billion laughs" document stops at the
// budget instead of exhausting memory. Values written out in the document are
// not counted: their number is bounded by the document size.
type converter struct {
	// budget is how many more values alias expansion may produce in the
	// whole stream, shared by the documents parsed side by side; limit is
	// what it started at.
	budget *aliasBudget
	limit  int
	// used counts the values this document's alias expansion produced; out
	// is set when the budget ran out.
	used int
	out  bool
	// doc is the document converted, for messages that name another line.
	doc *document
	// expanding holds the alias targets being expanded, to catch an alias
	// inside the node it refers to.
	expanding map[*yaml.Node]bool
}

// convError is a conversion problem at a line of the document.
type convError struct {
	line int
	msg  string
}

func (e *convError) Error() string { return e.msg }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &convError{line: n.Line, msg: fmt.Sprintf(format, args...)}
}

const aliasBomb = "aliases in this stream expand to more than %d values (a YAML alias bomb?); refused"

// aliasBudget is the number of values alias expansion may still produce in
// one stream. It is shared by all documents of the stream, so that a file
// of many documents, each just under a per-document budget, cannot multiply
// the work by its number of documents.
type aliasBudget struct{ left atomic.Int64 }

func newAliasBudget(n int) *aliasBudget {
	b := &aliasBudget{}
	b.left.Store(int64(n))
	return b
}

// take spends one value; it reports false once the budget is spent.
func (b *aliasBudget) take() bool { return b.left.Add(-1) >= 0 }

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errAt(n, "nesting deeper than %d levels; refused", maxDepth)
	}
	if len(c.expanding) > 0 {
		if !c.budget.take() {
			c.out = true
			return nil, errAt(n, aliasBomb, c.limit)
		}
		c.used++
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		target, err := c.enter(n)
		if err != nil {
			return nil, err
		}
		defer c.leave(target)
		return c.value(target, depth+1)
	case yaml.ScalarNode:
		return scalar(n)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merges = append(merges, vn)
				continue
			}
			key, err := keyString(k)
			if err != nil {
				return nil, err
			}
			if _, dup := out[key]; dup {
				return nil, errAt(k, "key %q appears twice in one mapping (first at line %d; a missing --- between documents?)",
					key, c.doc.fileLine(firstKeyLine(n, key)))
			}
			v, err := c.value(vn, depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		// Merge keys fill in only what the mapping does not set itself;
		// of several merged mappings, the first one wins.
		for _, mn := range merges {
			if err := c.merge(out, mn, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errAt(n, "unsupported YAML node")
}

// enter starts expanding an alias and returns its target.
func (c *converter) enter(n *yaml.Node) (*yaml.Node, error) {
	target := n.Alias
	if target == nil {
		return nil, errAt(n, "unknown alias *%s", n.Value)
	}
	if c.expanding == nil {
		c.expanding = map[*yaml.Node]bool{}
	}
	if c.expanding[target] {
		return nil, errAt(n, "alias *%s is used inside the value it names (a loop); refused", n.Value)
	}
	c.expanding[target] = true
	return target, nil
}

func (c *converter) leave(target *yaml.Node) { delete(c.expanding, target) }

// merge adds the keys of a merge key's value (a mapping, an alias of one, or
// a sequence of those) that out does not have yet.
func (c *converter) merge(out map[string]any, n *yaml.Node, depth int) error {
	if n.Kind == yaml.SequenceNode {
		for _, e := range n.Content {
			if e.Kind == yaml.SequenceNode {
				return errAt(e, "merge key << needs a mapping or a list of mappings")
			}
			if err := c.merge(out, e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	target := n
	if n.Kind == yaml.AliasNode {
		var err error
		if target, err = c.enter(n); err != nil {
			return err
		}
		defer c.leave(target)
	}
	if target.Kind != yaml.MappingNode {
		return errAt(n, "merge key << needs a mapping or a list of mappings")
	}
	v, err := c.value(target, depth+1)
	if err != nil {
		return err
	}
	for k, e := range v.(map[string]any) {
		if _, ok := out[k]; !ok {
			out[k] = e
		}
	}
	return nil
}

// firstKeyLine is the line of the first key of m that reads as key.
func firstKeyLine(m *yaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, err := keyString(m.Content[i]); err == nil && k == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

// keyString turns a mapping key into the string sigs.k8s.io/yaml makes of
// it: booleans become "true" or "false", numbers their decimal form.
func keyString(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", errAt(k, "a mapping key must be a string, not a %s", kindName(k.Kind))
	}
	v, err := scalar(k)
	if err != nil {
		// .inf and .nan have no JSON value but make fine keys, spelled the
		// way sigs.k8s.io/yaml spells them.
		switch v := strings.ToLower(strings.TrimPrefix(k.Value, "+")); v {
		case ".inf", "-.inf", ".nan":
			return v, nil
		}
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", errAt(k, "a mapping key must be a string, not null")
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 32), nil
	}
	return k.Value, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// yaml11Bools are the plain words YAML 1.1 (go-yaml v2, and so Kubernetes)
// reads as booleans; go-yaml v3 reads only true and false.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// quotedStyles are the styles whose scalars are always strings unless tagged.
const quotedStyles = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle

func scalar(n *yaml.Node) (any, error) {
	tag := n.ShortTag()
	if tag == "!!str" && n.Style&(quotedStyles|yaml.TaggedStyle) == 0 {
		if b, ok := yaml11Bools[n.Value]; ok {
			return b, nil
		}
	}
	switch tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on", "y":
			return true, nil
		}
		return false, nil
	case "!!int":
		s := strings.ReplaceAll(n.Value, "_", "")
		if i, err := strconv.ParseInt(s, 0, 64); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) {
			return f, nil
		}
		return n.Value, nil
	case "!!float":
		s := strings.ToLower(strings.ReplaceAll(n.Value, "_", ""))
		switch strings.TrimPrefix(s, "+") {
		case ".inf", "-.inf", ".nan":
			return nil, errAt(n, "%s (infinity or not-a-number) has no JSON form, so Kubernetes cannot read it", n.Value)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if f, err = parseIntAsFloat(s); err != nil {
				return n.Value, nil
			}
		}
		if math.IsInf(f, 0) {
			return nil, errAt(n, "%s is too large a number for JSON", n.Value)
		}
		return f, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return nil, errAt(n, "!!binary value is not valid base64")
		}
		// JSON strings are UTF-8; encoding/json replaces other bytes the same way.
		return strings.ToValidUTF8(string(b), "\ufffd"), nil
	}
	// Strings, timestamps and unknown tags stay as written.
	return n.Value, nil
}

// parseIntAsFloat reads an integer in any base as a float ("!!float 0x10").
func parseIntAsFloat(s string) (float64, error) {
	i, err := strconv.ParseInt(s, 0, 64)
	return float64(i), err
}
