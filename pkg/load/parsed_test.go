package load

import (
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// Options.Parsed hands over each document that parsed as one YAML document
// with the file's own line count, and no other: not the broken one, not the
// comment, not the one with a raw U+2028 (go-yaml ends a line there). With
// it comes go-yaml's tree, or nil when the fast reader read the document.
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
		var again yaml.Node
		if err := yaml.Unmarshal([]byte(data[line]), &again); err != nil || len(again.Content) != 1 {
			t.Fatalf("line %d: the bytes handed over are not one document: %v", line, err)
		}
		if doc == nil {
			continue // read by the fast reader
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || again.Content[0].Line != doc.Content[0].Line {
			t.Errorf("line %d: the tree is not that of the bytes handed over", line)
		}
	}
	// A document the fast reader leaves to go-yaml comes with its tree.
	var tree *yaml.Node
	Stream("s.yaml", []byte("a: &x 1\nb: *x\n"), false, Options{Parsed: func(_ int, _ []byte, doc *yaml.Node) { tree = doc }})
	if tree == nil {
		t.Error("no tree for a document with an alias")
	}
}

func keys(m map[int]*yaml.Node) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}
