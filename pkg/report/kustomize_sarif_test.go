package report

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
)

// TestSARIFOfAKustomizationNamesTheSourceFiles: findings of a kustomize
// build point at the files and lines the objects were read from (through
// kustomize's origin annotations), in the text and in SARIF, not at the
// build ("kustomize%20build%20overlays/prod").
func TestSARIFOfAKustomizationNamesTheSourceFiles(t *testing.T) {
	dir := t.TempDir()
	base, overlay := filepath.Join(dir, "base"), filepath.Join(dir, "overlays", "prod")
	os.MkdirAll(base, 0o755)
	os.MkdirAll(overlay, 0o755)
	dep, err := os.ReadFile("../../examples/seed/naive/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stream []byte
	for _, n := range []string{"service", "ingress"} {
		b, _ := os.ReadFile("../../examples/seed/naive/" + n + ".yaml")
		stream = append(append(stream, "---\n"...), b...)
	}
	os.WriteFile(filepath.Join(base, "deployment.yaml"), dep, 0o644)
	os.WriteFile(filepath.Join(base, "front.yaml"), stream, 0o644)
	os.WriteFile(filepath.Join(base, "kustomization.yaml"), []byte("resources: [deployment.yaml, front.yaml]\n"), 0o644)
	os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte("resources: [../../base]\nnamePrefix: prod-\nnamespace: shop\n"), 0o644)

	res := check.Run(context.Background(), check.Options{Kustomizations: []string{overlay}})
	if len(res.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range res.Findings {
		want := filepath.Join(base, "deployment.yaml")
		if f.Object.Kind != "Deployment" {
			want = filepath.Join(base, "front.yaml")
		}
		if f.File != want || f.Line <= 0 {
			t.Errorf("%s on %s at %s:%d, want %s and a line", f.Rule, f.Object, f.File, f.Line, want)
		}
		if f.Object.Kind == "Ingress" {
			// The Ingress is the second document of front.yaml.
			lines := strings.Split(string(stream), "\n")
			if f.Line > len(lines) || !strings.HasPrefix(lines[f.Line-1], "apiVersion") && !strings.HasPrefix(lines[f.Line-1], "kind") {
				t.Errorf("Ingress finding at line %d: %q", f.Line, lines[min(f.Line, len(lines))-1])
			}
		}
	}
	var b bytes.Buffer
	if err := Write(&b, "sarif", res, Options{}); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); strings.Contains(s, "kustomize") || !strings.Contains(s, "front.yaml") {
		t.Errorf("SARIF does not name the source files:\n%.2000s", s)
	}
}
