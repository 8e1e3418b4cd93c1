package kustomize

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An overlay renames and moves a base's objects; every built object is
// still traced to the base file and line it came from, under its name there.
func TestOverlayObjectsKeepTheirSource(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "base", "kustomization.yaml"), "resources: [app.yaml]\n")
	write(t, filepath.Join(dir, "base", "app.yaml"), `# the app
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: example/web:1}]}
`)
	overlay := filepath.Join(dir, "prod")
	write(t, filepath.Join(overlay, "kustomization.yaml"), "resources: [../base]\nnamespace: shop\nnamePrefix: prod-\n")

	b, err := Build(overlay)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "base", "app.yaml")
	for key, want := range map[ObjectKey]Origin{
		{Kind: "Service", Namespace: "shop", Name: "prod-web"}:    {File: base, Line: 2, Name: "web"},
		{Kind: "Deployment", Namespace: "shop", Name: "prod-web"}: {File: base, Line: 7, Name: "web"},
	} {
		got, ok := b.Origins[key]
		if !ok {
			t.Errorf("%v: no origin (have %v)", key, b.Origins)
			continue
		}
		if abs, err := filepath.Abs(got.File); err == nil {
			got.File = abs
		}
		if got != want {
			t.Errorf("%v: origin %+v, want %+v", key, got, want)
		}
	}

	res := Load(overlay, load.Options{})
	if len(res.Errors) > 0 || len(res.Objects) != 2 {
		t.Fatalf("load: %d objects, errors %+v", len(res.Objects), res.Errors)
	}
	for _, o := range res.Objects {
		if o.Namespace != "shop" || o.Name != "prod-web" || o.Pos.Line == 0 || filepath.Base(o.Pos.File) != "app.yaml" {
			t.Errorf("%s %s/%s at %s:%d; want shop/prod-web at app.yaml", o.Kind, o.Namespace, o.Name, o.Pos.File, o.Pos.Line)
		}
	}

	if res := Load(filepath.Join(dir, "missing"), load.Options{}); len(res.Errors) != 1 || len(res.Objects) != 0 {
		t.Errorf("a missing kustomization: %+v", res)
	}
}
