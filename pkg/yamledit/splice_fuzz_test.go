package yamledit

import (
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
	yaml "go.yaml.in/yaml/v3"
)

// fuzzPatches are the shapes of change fix makes: keys added at several
// depths, values replaced (scalar and block), a key deleted, list items
// merged by name.
var fuzzPatches = []map[string]any{
	{"metadata": map[string]any{"annotations": map[string]any{"zerodrop/x": "30"}}},
	{"metadata": map[string]any{"name": "renamed", "labels": map[string]any{"app": "web", "tier": "front"}}},
	{"spec": map[string]any{"minReadySeconds": int64(20), "minAvailable": nil, "maxUnavailable": int64(1)}},
	{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"terminationGracePeriodSeconds": int64(45),
		"containers": []any{map[string]any{"name": "web", "lifecycle": map[string]any{"preStop": map[string]any{
			"$patch": "replace", "sleep": map[string]any{"seconds": int64(15)}}}}},
	}}}},
	{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "side", "image": "proxy", "command": []any{"sleep", "5"}}},
	}}}},
	{"spec": map[string]any{"strategy": map[string]any{"rollingUpdate": map[string]any{"maxSurge": "25%", "maxUnavailable": int64(0)}}}},
}

// FuzzSplice merges fix's patch shapes into arbitrary documents. Whatever
// the text, a splice that is trusted without parsing must hold exactly the
// merged tree, and the document fix ends with must parse to that tree.
func FuzzSplice(f *testing.F) {
	seeds := []string{
		"kind: Deployment\nmetadata:\n    name: web   # c\n\nspec:\n    replicas: 2\n    template:\n        spec:\n            containers:\n              - name: web\n                image: x\n",
		"kind: Service\nmetadata:\n  name: a\n  annotations: {k: v}\nspec:\n  minAvailable: 1\n",
		"kind: Deployment\nspec:\n  strategy:\n    rollingUpdate: {maxSurge: 1}\n  template:\n    spec:\n      containers:\n      - name: web\n        lifecycle:\n          preStop:\n            exec:\n              command: [\"sh\", \"-c\", \"sleep 5\"]\n        args: |\n          a\n\n      - name: side\n",
		"metadata:\n  name: x\n  labels:\n    app: web\n  annotations:\nspec:\n  template:\n    spec:\n      containers: []\n",
		"a: &x {b: 1}\nmetadata: *x\nspec:\n  s: >+\n    text\n\n",
	}
	for _, s := range seeds {
		for i := range fuzzPatches {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, text string, which uint8) {
		if len(text) > 4096 {
			return
		}
		// One document, as fix hands them over.
		chunks := load.Split([]byte(text))
		if len(chunks) != 1 {
			return
		}
		d, err := Parse(chunks[0].Body)
		if err != nil {
			return
		}
		if err := d.Merge(fuzzPatches[int(which)%len(fuzzPatches)]); err != nil {
			return
		}
		want := d.Tree
		out, ok, sure := splice(d)
		if ok && sure {
			var got yaml.Node
			if err := yaml.Unmarshal(out, &got); err != nil || got.Kind != yaml.DocumentNode || len(got.Content) != 1 || !SameTree(root(&got), root(want)) {
				t.Fatalf("trusted splice does not hold the tree (parse error %v)\ninput:\n%s\noutput:\n%s", err, text, out)
			}
		}
		body, _, err := Render(d, false)
		if err != nil {
			return
		}
		var got yaml.Node
		if err := yaml.Unmarshal(body, &got); err != nil || len(got.Content) != 1 || !SameTree(root(&got), root(want)) {
			t.Fatalf("fixed document does not hold the tree (parse error %v)\ninput:\n%s\noutput:\n%s", err, text, body)
		}
	})
}
