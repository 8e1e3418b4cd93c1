package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// Nothing checked is not success: every command that reads manifests exits
// 2 and names what it read when no Kubernetes object was in it.
func TestNoObjectsIsAnInputError(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{
		"empty.yaml":              "",
		"comments.yaml":           "# nothing here\n---\n---\n",
		"values/values.yaml":      "replicaCount: 2\n",
		"noyaml/README.md":        "# docs\n",
		"kust/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"empty file", "", []string{"check", p("empty.yaml")}, "no Kubernetes objects in " + p("empty.yaml")},
		{"only comments and separators", "", []string{"check", p("comments.yaml")}, "no Kubernetes objects in " + p("comments.yaml")},
		{"empty stdin", "", []string{"check", "-"}, "no Kubernetes objects in stdin"},
		{"whitespace on stdin", "\n\n  \n", []string{"check", "-"}, "no Kubernetes objects in stdin"},
		{"directory without YAML", "", []string{"check", p("noyaml")}, "no Kubernetes objects in " + p("noyaml")},
		{"directory of Helm values only", "", []string{"check", p("values")}, "no Kubernetes objects in " + p("values")},
		{"json output", "", []string{"check", "-o", "json", p("empty.yaml")}, `"message": "no Kubernetes objects in `},
		{"sarif output", "", []string{"check", "-o", "sarif", p("empty.yaml")}, "no Kubernetes objects in "},
		{"empty kustomization", "", []string{"check", "-k", p("kust")}, "no Kubernetes objects in kustomization " + p("kust")},
		{"fix", "", []string{"fix", "--dry-run", p("empty.yaml")}, "no Kubernetes objects in " + p("empty.yaml")},
		{"fix of stdin", "", []string{"fix", "-"}, "no Kubernetes objects in stdin"},
		{"simulate with a path", "", []string{"simulate", p("noyaml")}, "no Kubernetes objects in " + p("noyaml")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, c.stdin, c.args...)
			if code != ExitInput {
				t.Errorf("exit %d, want %d", code, ExitInput)
			}
			if !strings.Contains(out+errOut, c.want) {
				t.Errorf("output does not say %q:\nstdout:\n%s\nstderr:\n%s", c.want, out, errOut)
			}
			if strings.Contains(out+errOut, "No findings") {
				t.Errorf("output claims success:\n%s", out)
			}
		})
	}
}

// With no path the current directory is read; if it has no manifests and
// stdin is a pipe with data, the error says how to read stdin, without
// reading it unasked.
func TestNoPathHintsAtStdin(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"README.md": "# docs\n"})
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)

	// A pipe holding a manifest, as in `helm template . | zerodrop check`.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := w.WriteString(risky); err != nil {
		t.Fatal(err)
	}
	w.Close()
	var out, errb strings.Builder
	code := Main([]string{"check"}, r, &out, &errb)
	if code != ExitInput || !strings.Contains(out.String(), "no Kubernetes objects in . (no path was given, so the current directory was read; stdin holds data: to read stdin, pass -)") {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	// Stdin was left alone.
	buf := make([]byte, 16)
	if n, _ := r.Read(buf); n == 0 {
		t.Error("stdin was read although no - was given")
	}

	// An empty pipe (a CI runner's stdin) and a plain reader give no hint.
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	defer w2.Close()
	out.Reset()
	code = Main([]string{"check"}, r2, &out, &errb)
	if code != ExitInput || !strings.Contains(out.String(), "no Kubernetes objects in . (no path was given, so the current directory was read)") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}
}
