package load

import (
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// Options.Parsed hands over the tree of each document that parsed as one
// YAML document with the file's own line count, and no other: not the
// broken one, not the comment, not the one with a raw U+2028 (go-yaml ends
// a line there).
func TestParsedHandsOverCleanDocuments(t *testing.T) {
	stream := "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: \"x\\u2028y\"}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {k: \"x\u2028y\"}\n"
	var mu sync.Mutex
	got := map[int]*yaml.Node{}
	data := map[int]string{}
	Stream("s.yaml", []byte(stream), false, Options{Parsed: func(line int, b []byte, doc *yaml.Node) {
		mu.Lock()
		defer mu.Unlock()
		got[line], data[line] = doc, string(b)
	}})
	if len(got) != 2 {
		t.Fatalf("want trees of the documents at lines 1 and 11, got lines %v", keys(got))
	}
	for _, line := range []int{1, 11} {
		doc := got[line]
		if doc == nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
			t.Fatalf("line %d: no document tree", line)
		}
		var again yaml.Node
		if err := yaml.Unmarshal([]byte(data[line]), &again); err != nil || again.Content[0].Line != doc.Content[0].Line {
			t.Errorf("line %d: the tree is not that of the bytes handed over", line)
		}
	}
}

func keys(m map[int]*yaml.Node) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}
