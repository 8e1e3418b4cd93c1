package load

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// maxDepth bounds nesting, so a deeply nested document cannot exhaust the stack.
const maxDepth = 200

// converter turns a YAML node tree into JSON-compatible Go values. It expands
// aliases itself, counting every value it produces, so a "billion laughs"
// document stops at the budget instead of exhausting memory.
type converter struct {
	budget int
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

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errAt(n, "nesting deeper than %d levels; refused", maxDepth)
	}
	c.budget--
	if c.budget < 0 {
		return nil, errAt(n, "document expands to too many values (YAML alias bomb?); refused")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errAt(n, "unknown alias")
		}
		return c.value(n.Alias, depth+1)
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
				return nil, errAt(k, "key %q appears twice in one mapping (a missing --- between documents?)", key)
			}
			v, err := c.value(vn, depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		// Merge keys fill in only what the mapping does not set itself.
		for _, mn := range merges {
			if err := c.merge(out, mn, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errAt(n, "unsupported YAML node")
}

func (c *converter) merge(out map[string]any, n *yaml.Node, depth int) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		v, err := c.value(n, depth)
		if err != nil {
			return err
		}
		for k, e := range v.(map[string]any) {
			if _, ok := out[k]; !ok {
				out[k] = e
			}
		}
		return nil
	case yaml.SequenceNode:
		for _, e := range n.Content {
			if err := c.merge(out, e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return errAt(n, "merge key << needs a mapping")
}

func keyString(k *yaml.Node) (string, error) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", errAt(k, "mapping key is not a scalar")
	}
	return k.Value, nil
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
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
		if strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0O") {
			if i, err := strconv.ParseInt(s[2:], 8, 64); err == nil {
				return i, nil
			}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
		return n.Value, nil
	case "!!float":
		s := strings.ToLower(strings.ReplaceAll(n.Value, "_", ""))
		switch s {
		case ".inf", "+.inf":
			return math.Inf(1), nil
		case "-.inf":
			return math.Inf(-1), nil
		case ".nan":
			return math.NaN(), nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return n.Value, nil
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 && !strings.ContainsAny(s, ".e") {
			return int64(f), nil
		}
		return f, nil
	}
	// Strings, timestamps and binary stay as written.
	return n.Value, nil
}
