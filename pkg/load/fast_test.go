package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// goyaml reads data through go-yaml only.
func goyaml(name string, data []byte) *Result {
	return Bytes(name, data, Options{goyamlOnly: true})
}

// sameAsGoYAML fails unless the loader gives, for data, the objects (with
// their positions and content) and errors it gives when go-yaml reads every
// document.
func sameAsGoYAML(t *testing.T, name string, data []byte) {
	t.Helper()
	fast := Bytes(name, data, Options{})
	slow := goyaml(name, data)
	if len(fast.Objects) != len(slow.Objects) {
		t.Fatalf("%s: %d objects, go-yaml reads %d", name, len(fast.Objects), len(slow.Objects))
	}
	for i, o := range fast.Objects {
		if !reflect.DeepEqual(o, slow.Objects[i]) {
			t.Fatalf("%s: object %d is\n%#v\ngo-yaml reads\n%#v", name, i, *o, *slow.Objects[i])
		}
	}
	if !reflect.DeepEqual(fast.Errors, slow.Errors) || fast.Skipped != slow.Skipped {
		t.Fatalf("%s: errors %v (%d skipped), go-yaml gives %v (%d skipped)", name, fast.Errors, fast.Skipped, slow.Errors, slow.Skipped)
	}
}

// fastSeeds are documents in and just outside the part of YAML the fast
// reader takes.
var fastSeeds = []string{
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n",
	"  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: indented\n",
	"# c\napiVersion: v1 # c\nkind: ConfigMap\nmetadata:\n  # c\n  name: a#b\n  labels:\n    x: \"y\" # c\n    'z': 'it''s'\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  yes: on\n  1: 2\n  1.5: x\n  \"t\": null\n  n: ~\n  e:\n  f: -1\n  g: -.5\n  h: 0x1F\n  i: 1e3\n  j: 2001-12-14\n  k: 'yes'\n",
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        args: [\"-c\", 'x', y, 1, true]\n        ports:\n        - containerPort: 80\n        -   containerPort: 81\n            name: b\n      - name: b\n        command: []\n        env: {}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n- - a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n  -\n    a: 1\n  -\n  - b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: a\n  b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: a: b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n x: 1\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n  a: 1\n b: 2\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: 1\nx: 2\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: [a, b,]\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: [a, [b]]\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: \"a\\\"b\"\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: |\n  text\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: &a 1\ny: *a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: .inf\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: \"a\" b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: 'a\n  b'\n",
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n- a\n- b: 1\n  c: 2\ny: 3\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n- a\n  - b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n<<: {a: 1}\n",
	"- a\n- b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  yes: a\n  \"true\": b\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {a: b, \"c\": 'd', e: [1, {f: g}]}}\ndata: {\"k\":\"v\", x: }\n",
	"{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"j\"}}\n",
	"plain text\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\u007f\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" + strings.Repeat("k", 1100) + ": v\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx:\n" + deepBlock(150),
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: -\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: - a\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: -a\ny: a:b\nz: a #b\nw: a# b\nv: a  b  \n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: {}#\ny: []#\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx: ''\ny: \"\"\nz: ['', \"\"]\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n...\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n  namespace: n\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [a]\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: a\n",
	"apiVersion: v1\nmetadata:\n  name: a\n",
	"kind: Service\napiVersion: v1\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n",
}

func TestFastReaderAgrees(t *testing.T) {
	for i, s := range fastSeeds {
		sameAsGoYAML(t, fmt.Sprintf("seed%d.yaml", i), []byte(s))
	}
	sameAsGoYAML(t, "bench.yaml", benchStream(200))
	files, _ := filepath.Glob("testdata/realistic/*.yaml")
	// Real-world manifests, when the corpus is at hand.
	corpus, _ := filepath.Glob("../../../shared/corpus/*.y*ml")
	if len(corpus) == 0 {
		t.Log("no corpus of real-world manifests; testing with testdata only")
	}
	for _, f := range append(files, corpus...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameAsGoYAML(t, filepath.Base(f), data)
	}
}

// The fast reader takes the documents it is built for.
func TestFastReaderTakes(t *testing.T) {
	for i, s := range []string{fastSeeds[0], fastSeeds[1], fastSeeds[2], fastSeeds[3], fastSeeds[4], fastSeeds[len(fastSeeds)-1]} {
		if _, _, ok := fastDocument([]byte(s)); !ok {
			t.Errorf("seed %d: the fast reader gave up on\n%s", i, s)
		}
	}
	for _, c := range Split(benchStream(20)) {
		if _, _, ok := fastDocument(c.Body); !ok {
			t.Errorf("the fast reader gave up on\n%s", c.Body)
		}
	}
}

// FuzzFastReader holds the fast reader to go-yaml: whatever it takes, it
// reads as go-yaml and the converter do.
func FuzzFastReader(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		sameAsGoYAML(t, "fuzz.yaml", data)
	})
}

// plainString's shortcut gives what the converter gives, for every first
// byte.
func TestPlainStringShortcut(t *testing.T) {
	for c := byte(0x21); c < 0x7f; c++ {
		for _, rest := range []string{"", "es", "n", "ull", "rue", "0", "1_000", ".5", "e3", "x:y", "2001-12-14"} {
			n := yaml.Node{Kind: yaml.ScalarNode, Value: string(c) + rest}
			if !plainString(&n) {
				continue
			}
			v, err := scalar(&n)
			if err != nil || v != n.Value {
				t.Errorf("%q: the converter gives %#v (%v)", n.Value, v, err)
			}
			k, err := keyString(&n)
			if err != nil || k != n.Value {
				t.Errorf("%q as a key: the converter gives %q (%v)", n.Value, k, err)
			}
		}
	}
}
