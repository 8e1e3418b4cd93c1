package yamledit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	kyaml "go.yaml.in/yaml/v3"
)

// jsonOf writes a node tree as indented JSON in its own key order, so that
// a JSON manifest stays JSON and its fields stay where the user put them.
func jsonOf(n *kyaml.Node) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, n, 0, false); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeJSON writes n indented by depth, or all on one line when compact.
func writeJSON(b *bytes.Buffer, n *kyaml.Node, depth int, compact bool) error {
	ind := strings.Repeat("  ", depth+1)
	open, sep, closing := "{\n", ",\n", "\n"+strings.Repeat("  ", depth)
	if compact {
		ind, open, sep, closing = "", "{", ", ", ""
	}
	switch n.Kind {
	case kyaml.DocumentNode:
		if len(n.Content) == 0 {
			b.WriteString("null")
			return nil
		}
		return writeJSON(b, n.Content[0], depth, compact)
	case kyaml.AliasNode:
		return writeJSON(b, n.Alias, depth, compact)
	case kyaml.MappingNode:
		var pairs [][2]*kyaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, [2]*kyaml.Node{n.Content[i], n.Content[i+1]})
		}
		if len(pairs) == 0 {
			b.WriteString("{}")
			return nil
		}
		b.WriteString(open)
		for i, kv := range pairs {
			k, _ := json.Marshal(kv[0].Value)
			b.WriteString(ind)
			b.Write(k)
			b.WriteString(": ")
			if err := writeJSON(b, kv[1], depth+1, compact); err != nil {
				return err
			}
			if i < len(pairs)-1 {
				b.WriteString(sep)
			}
		}
		b.WriteString(closing + "}")
	case kyaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString(strings.Replace(open, "{", "[", 1))
		for i, e := range n.Content {
			b.WriteString(ind)
			if err := writeJSON(b, e, depth+1, compact); err != nil {
				return err
			}
			if i < len(n.Content)-1 {
				b.WriteString(sep)
			}
		}
		b.WriteString(closing + "]")
	case kyaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			var v any
			if err := json.Unmarshal([]byte(n.Value), &v); err == nil {
				b.WriteString(n.Value)
				return nil
			}
			s, _ := json.Marshal(n.Value)
			b.Write(s)
		case "!!bool":
			b.WriteString(strings.ToLower(n.Value))
		case "!!null":
			b.WriteString("null")
		default:
			s, err := json.Marshal(n.Value)
			if err != nil {
				return err
			}
			b.Write(s)
		}
	default:
		return fmt.Errorf("cannot write YAML node kind %v as JSON", n.Kind)
	}
	return nil
}
