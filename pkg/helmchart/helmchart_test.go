package helmchart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const chart = "../../examples/helm/echoserver"

func TestRenderDefaults(t *testing.T) {
	out, err := Render(chart, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"---\n# Source: echoserver/templates/deployment.yaml\napiVersion: apps/v1",
		"---\n# Source: echoserver/templates/exposure.yaml\n# The Service",
		"---\n# Source: echoserver/templates/exposure.yaml\napiVersion: networking.k8s.io/v1",
		"name: release-name\n  namespace: default\n",
		"type: NodePort",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered stream lacks %q:\n%s", want, s)
		}
	}
	for _, unwanted := range []string{"NOTES", "is behind an ALB", "_helpers", "preStop", "{{"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("rendered stream has %q:\n%s", unwanted, s)
		}
	}
}

func TestRenderValuesSetReleaseNamespace(t *testing.T) {
	extra := filepath.Join(t.TempDir(), "more.yaml")
	if err := os.WriteFile(extra, []byte("replicas: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Render(chart, Options{
		ValueFiles:  []string{filepath.Join(chart, "values-recommended.yaml"), extra},
		Set:         []string{"preStopSeconds=30", "replicas=7"},
		ReleaseName: "shop", Namespace: "prod",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"name: shop\n  namespace: prod\n", "replicas: 7", "sleep: {seconds: 30}", "target-type: ip", "type: ClusterIP", "terminationGracePeriodSeconds: 45"} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered stream lacks %q:\n%s", want, s)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	for name, opts := range map[string]Options{
		"missing values file": {ValueFiles: []string{"does-not-exist.yaml"}},
		"bad --set":           {Set: []string{"novalue"}},
	} {
		if _, err := Render(chart, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Render(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "loading chart") {
		t.Errorf("not a chart: %v", err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "Chart.yaml"), []byte("apiVersion: v2\nname: b\nversion: 0.1.0\n"), 0o644)
	os.Mkdir(filepath.Join(broken, "templates"), 0o755)
	os.WriteFile(filepath.Join(broken, "templates", "x.yaml"), []byte("a: {{ .Values.x.y.z }}\n"), 0o644)
	if _, err := Render(broken, Options{}); err == nil || !strings.Contains(err.Error(), "x.yaml") {
		t.Errorf("failing template: %v", err)
	}
}

// TestSourceMap: every document of the stream maps to its template and to
// the line where that document starts in the template's source.
func TestSourceMap(t *testing.T) {
	out, err := Render(chart, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewSourceMap(chart, out)
	lines := strings.Split(string(out), "\n")
	want := map[string]Origin{
		"kind: Deployment": {Template: filepath.Join(chart, "templates", "deployment.yaml"), Line: 2, Document: 1},
		"kind: Service":    {Template: filepath.Join(chart, "templates", "exposure.yaml"), Line: 2, Document: 1},
		"kind: Ingress":    {Template: filepath.Join(chart, "templates", "exposure.yaml"), Line: 15, Document: 2},
	}
	for i, l := range lines {
		w, ok := want[l]
		if !ok {
			continue
		}
		got, ok := m.Map(i + 1)
		if !ok || got != w {
			t.Errorf("line %d (%s): got %+v, want %+v", i+1, l, got, w)
		}
		delete(want, l)
	}
	if len(want) > 0 {
		t.Errorf("not in the stream: %v", want)
	}
	if _, ok := m.Map(0); ok {
		t.Error("line 0 maps")
	}
}

func TestLooksLikeTemplate(t *testing.T) {
	dep := filepath.Join(chart, "templates", "deployment.yaml")
	data, _ := os.ReadFile(dep)
	if dir, ok := LooksLikeTemplate(dep, data); !ok || dir != filepath.Join(chart, "templates", "..") && filepath.Clean(dir) != filepath.Clean(chart) {
		t.Errorf("deployment template: %q %v", dir, ok)
	}
	if _, ok := LooksLikeTemplate("../../examples/seed/naive/deployment.yaml", []byte("kind: Deployment\n")); ok {
		t.Error("plain manifest taken for a template")
	}
	if dir, ok := LooksLikeTemplate("x/templates/a.yaml", []byte("a: {{ .Values.a }}")); !ok || dir != "" {
		t.Errorf("templates dir without chart: %q %v", dir, ok)
	}
}
