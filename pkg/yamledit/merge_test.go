package yamledit

import (
	"testing"

	yaml "go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// nodeOf builds trees by hand for speed; printed, they must read exactly
// as yaml's own Encode of the same value, quoting included.
func TestNodeOfPrintsAsEncode(t *testing.T) {
	values := []any{
		map[string]any{
			"plain": "text", "int-like": "10", "bool-like": "true", "yes": "yes", "null-like": "null",
			"empty": "", "float-like": "1.5", "colon": "a: b", "hash": "# not a comment", "lead-space": " x",
			"octal-like": "0755", "star": "*", "dash": "- x", "multi": "line one\nline two\n", "unicode": "grüße",
			"Off": "ON", "N": "No", "Y": "y", "time": "1:30", "time2": "-12:05:30.5", "ver": "1.30",
			"n": int64(30), "m": 7, "neg": int64(-1), "b": false, "nil": nil,
			"list":      []any{"sleep", "15", int64(3), map[string]any{"name": "web", "port": "http"}},
			"nested":    map[string]any{"z": "last", "a": map[string]any{}},
			"emptylist": []any{},
		},
	}
	for _, v := range values {
		got, err := nodeOf(v)
		if err != nil {
			t.Fatal(err)
		}
		var want yaml.Node
		if err := want.Encode(v); err != nil {
			t.Fatal(err)
		}
		g, err := kyaml.MarshalWithOptions(got, &kyaml.EncoderOptions{SeqIndent: kyaml.CompactSequenceStyle})
		if err != nil {
			t.Fatal(err)
		}
		w, err := kyaml.MarshalWithOptions(&want, &kyaml.EncoderOptions{SeqIndent: kyaml.CompactSequenceStyle})
		if err != nil {
			t.Fatal(err)
		}
		if string(g) != string(w) {
			t.Errorf("nodeOf prints\n%s\nEncode prints\n%s", g, w)
		}
	}
}
