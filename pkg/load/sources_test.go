package load

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n"

func cm(name string) string { return strings.Replace(configMap, "%s", name, 1) }

// objectNames lists the names of the objects, sorted.
func objectNames(objs []*Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Name)
	}
	sort.Strings(out)
	return out
}

const helmValues = `# Default values for shop.
replicaCount: 2
image:
  repository: nginx
  tag: ""
service:
  type: ClusterIP
  port: 80
`

func TestDirectories(t *testing.T) {
	root := testutil.WriteTree(t, map[string]string{
		"a.yaml":               cm("a"),
		"b.yml":                cm("b"),
		"c.json":               `{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}`,
		"D.YAML":               cm("d"),
		"notes.txt":            cm("txt"),
		"README.md":            "# readme\n",
		".hidden.yaml":         cm("hidden-file"),
		"values.yaml":          helmValues,
		"Chart.yaml":           "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"kustomization.yaml":   "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
		"list.yaml":            "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(cm("from-list")), "\n", "\n  ") + "\n",
		"nested/e.yaml":        cm("e"),
		"nested/deeper/f.yml":  cm("f"),
		".git/g.yaml":          cm("in-git"),
		"nested/.cache/h.yaml": cm("in-hidden-dir"),
	})
	ctx := context.Background()

	res := Paths(ctx, []string{root}, nil, Options{})
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if got, want := objectNames(res.Objects), []string{"a", "b", "c", "d", "from-list"}; !reflect.DeepEqual(got, want) {
		t.Errorf("non-recursive: %v, want %v", got, want)
	}
	if res.Skipped != 3 {
		t.Errorf("skipped %d documents, want 3 (values.yaml, Chart.yaml, kustomization.yaml)", res.Skipped)
	}
	if res.Files != 8 {
		t.Errorf("read %d files, want 8", res.Files)
	}
	for _, o := range res.Objects {
		if !o.Discovered {
			t.Errorf("%s: not marked discovered", o.Name)
		}
		if !strings.HasPrefix(o.Pos.File, root) || o.Pos.Line != 1 && !o.FromList {
			t.Errorf("%s at %v", o.Name, o.Pos)
		}
	}

	res = Paths(ctx, []string{root}, nil, Options{Recursive: true})
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if got, want := objectNames(res.Objects), []string{"a", "b", "c", "d", "e", "f", "from-list"}; !reflect.DeepEqual(got, want) {
		t.Errorf("recursive: %v, want %v", got, want)
	}

	// The same files named one by one are reported, not skipped.
	res = Paths(ctx, []string{filepath.Join(root, "values.yaml"), filepath.Join(root, "Chart.yaml"),
		filepath.Join(root, "kustomization.yaml"), filepath.Join(root, "a.yaml")}, nil, Options{})
	if res.Skipped != 0 || len(res.Errors) != 3 || len(res.Objects) != 1 {
		t.Fatalf("named files: %d objects, %d skipped, errors %v", len(res.Objects), res.Skipped, res.Errors)
	}
	errorContaining(t, res.Errors, "values.yaml:2", "apiVersion and kind are missing")
	errorContaining(t, res.Errors, "Chart.yaml:1", `apiVersion "v2" but no kind`)
	errorContaining(t, res.Errors, "kustomization.yaml:1", "Kustomization has no metadata.name")
	if res.Objects[0].Discovered {
		t.Errorf("a named file is not discovered")
	}
}

func TestMissingFields(t *testing.T) {
	tests := []struct {
		name, src, message string
	}{
		{"no kind", "apiVersion: apps/v1\nmetadata:\n  name: x\n", `apiVersion "apps/v1" but no kind`},
		{"no apiVersion", "kind: Deployment\nmetadata:\n  name: x\n", "Deployment has no apiVersion"},
		{"neither", "metadata:\n  name: x\n", "apiVersion and kind are missing"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: x\n", "ConfigMap has no metadata.name"},
		{"no metadata", "apiVersion: v1\nkind: ConfigMap\ndata: {}\n", "ConfigMap has no metadata.name"},
		{"null metadata", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n", "ConfigMap has no metadata.name"},
		{"empty name", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"\"\n", "ConfigMap has no metadata.name"},
		{"metadata as a list", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n- name: x\n", "metadata is a list, not a mapping"},
		{"name as a number", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 42\n", "metadata.name is a number (42), not a string"},
		{"namespace as a list", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: [a]\n", "metadata.namespace is a list, not a string"},
		{"kind as a number", "apiVersion: v1\nkind: 5\nmetadata:\n  name: x\n", "kind is a number (5), not a string"},
		{"scalar document", "just a string\n", "document is a string, not a Kubernetes object"},
		{"list document", "- a\n- b\n", "document is a list, not a Kubernetes object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, "# leading comment\n"+tt.src)
			if len(res.Objects) != 0 || len(res.Errors) != 1 {
				t.Fatalf("want one error, got %d objects, %v", len(res.Objects), res.Errors)
			}
			if e := errorContaining(t, res.Errors, tt.message); e.Pos.Line != 2 {
				t.Errorf("reported at %v, want line 2", e.Pos)
			}
		})
	}
	// generateName stands in for the name.
	objs := mustObjects(t, "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n", 1)
	if objs[0].Name != "migrate-" {
		t.Errorf("name %q", objs[0].Name)
	}
	// Unknown kinds are kept as they are.
	objs = mustObjects(t, "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w\n  namespace: ns\nspec:\n  size: 3\n", 1)
	if o := objs[0]; o.Kind != "Widget" || o.Group() != "example.com" || o.Namespace != "ns" || o.Raw["spec"].(map[string]any)["size"] != int64(3) {
		t.Errorf("unknown kind read as %+v", o)
	}
}

func TestDiscoveredSkipping(t *testing.T) {
	// In a discovered file, only what is plainly not a Kubernetes object is
	// skipped; broken objects are still reported.
	root := testutil.WriteTree(t, map[string]string{
		"mixed.yaml": "# values\nreplicas: 2\n---\n- a\n- b\n---\n" + cm("ok") + "---\napiVersion: v1\nmetadata:\n  name: no-kind\n---\nkind: Service\nmetadata:\n  name: no-version\n",
	})
	res := Paths(context.Background(), []string{root}, nil, Options{})
	if res.Skipped != 2 {
		t.Errorf("skipped %d, want 2", res.Skipped)
	}
	if got := objectNames(res.Objects); !reflect.DeepEqual(got, []string{"ok"}) {
		t.Errorf("objects %v", got)
	}
	if len(res.Errors) != 2 {
		t.Fatalf("errors %v", res.Errors)
	}
	errorContaining(t, res.Errors, "mixed.yaml:12", "no kind")
	errorContaining(t, res.Errors, "mixed.yaml:16", "no apiVersion")
}

func TestBadPaths(t *testing.T) {
	root := testutil.WriteTree(t, map[string]string{"ok.yaml": cm("ok")})
	missing := filepath.Join(root, "missing.yaml")
	res := Paths(context.Background(), []string{missing, filepath.Join(root, "ok.yaml"), filepath.Join(root, "nodir", "x.yaml")}, nil, Options{})
	errorContaining(t, res.Errors, missing, "no such file or directory")
	if len(res.Errors) != 2 || len(res.Objects) != 1 {
		t.Errorf("want the good file read and two errors: %d objects, %v", len(res.Objects), res.Errors)
	}
	if e := res.Errors[0]; e.Pos.Line != 0 || e.Pos.String() != missing {
		t.Errorf("a path error has no line: %v", e.Pos)
	}
}

func TestUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	root := testutil.WriteTree(t, map[string]string{
		"locked.yaml":    cm("locked"),
		"ok.yaml":        cm("ok"),
		"sub/inner.yaml": cm("inner"),
		"closed/x.yaml":  cm("x"),
	})
	locked := filepath.Join(root, "locked.yaml")
	closed := filepath.Join(root, "closed")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(closed, 0o755); os.Chmod(locked, 0o644) })

	res := Paths(context.Background(), []string{locked}, nil, Options{})
	errorContaining(t, res.Errors, locked, "permission denied")

	res = Paths(context.Background(), []string{root}, nil, Options{Recursive: true})
	errorContaining(t, res.Errors, locked, "permission denied")
	errorContaining(t, res.Errors, closed, "permission denied")
	if got := objectNames(res.Objects); !reflect.DeepEqual(got, []string{"inner", "ok"}) {
		t.Errorf("the readable files were not all read: %v", got)
	}
}

func TestNonRegularFiles(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil {
		t.Skip("no", os.DevNull)
	}
	res := Paths(context.Background(), []string{os.DevNull}, nil, Options{})
	errorContaining(t, res.Errors, os.DevNull, "refused")
	if len(res.Objects) != 0 {
		t.Errorf("read objects from %s", os.DevNull)
	}

	// A named pipe found in a directory is refused without opening it:
	// opening a pipe nobody writes to would wait for ever.
	root := testutil.WriteTree(t, map[string]string{"ok.yaml": cm("ok")})
	fifo := filepath.Join(root, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	done := make(chan *Result, 1)
	go func() { done <- Paths(context.Background(), []string{root}, nil, Options{}) }()
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("reading a directory with a named pipe in it did not return")
	}
	errorContaining(t, res.Errors, fifo, "not a regular file")
	if got := objectNames(res.Objects); !reflect.DeepEqual(got, []string{"ok"}) {
		t.Errorf("objects %v", got)
	}

	// A named pipe given by name is read as a stream, like <(helm template).
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.WriteString(cm("piped"))
		f.Close()
	}()
	go func() { done <- Paths(context.Background(), []string{fifo}, nil, Options{}) }()
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("reading a named pipe did not return")
	}
	if len(res.Errors) != 0 || len(res.Objects) != 1 || res.Objects[0].Name != "piped" {
		t.Errorf("pipe: %d objects, errors %v", len(res.Objects), res.Errors)
	}
}

func TestStdin(t *testing.T) {
	in := strings.NewReader(cm("one") + "---\n" + cm("two"))
	res := Paths(context.Background(), []string{"-"}, in, Options{})
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if got := names(res.Objects); !reflect.DeepEqual(got, []string{"ConfigMap/one@1", "ConfigMap/two@6"}) {
		t.Errorf("objects %v", got)
	}
	if res.Objects[0].Pos.File != StdinName || res.Objects[0].Discovered || res.Files != 1 {
		t.Errorf("stdin object %+v, files %d", res.Objects[0], res.Files)
	}
	// Non-Kubernetes YAML on stdin is reported: the user chose it.
	res = Paths(context.Background(), []string{"-"}, strings.NewReader(helmValues), Options{})
	errorContaining(t, res.Errors, StdinName+":2", "apiVersion and kind are missing")

	res = Paths(context.Background(), []string{"-"}, nil, Options{})
	errorContaining(t, res.Errors, StdinName, "no input")

	res = Paths(context.Background(), []string{"-"}, strings.NewReader("\x00\x01binary"), Options{})
	errorContaining(t, res.Errors, StdinName, "binary")
}

func TestFileLimitOnDisk(t *testing.T) {
	root := testutil.WriteTree(t, map[string]string{"big.yaml": strings.Repeat("# padding\n", 2000) + cm("big")})
	res := Paths(context.Background(), []string{filepath.Join(root, "big.yaml")}, nil, Options{MaxFileBytes: 10000})
	errorContaining(t, res.Errors, "big.yaml", "over the 9.8 KiB limit")
	if len(res.Objects) != 0 {
		t.Errorf("an oversize file was read")
	}
}

func TestCancelled(t *testing.T) {
	root := testutil.WriteTree(t, map[string]string{"a.yaml": cm("a")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Paths(ctx, []string{root, "-"}, strings.NewReader(cm("b")), Options{})
	if len(res.Objects) != 0 || len(res.Errors) != 2 {
		t.Errorf("a cancelled read: %d objects, errors %v", len(res.Objects), res.Errors)
	}
	errorContaining(t, res.Errors, "not read")
}
