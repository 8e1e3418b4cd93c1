package fix

import (
	"os"
	"path/filepath"
	"testing"

	sigyaml "sigs.k8s.io/yaml"
)

// A preStop for a native sidecar goes to the sidecar, in initContainers:
// merged by name into "containers" it would add a container without an
// image, which the API server refuses.
func TestPreStopForNativeSidecarGoesToInitContainers(t *testing.T) {
	src, err := os.ReadFile("../check/testdata/rules/ZD003_native_sidecar_serving_without_prestop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "web.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	runFix(t, dir, func(o *Options) { o.Check.Only = map[string]bool{"ZD003": true} })
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := objectsOfStream(t, out)
	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					InitContainers []struct {
						Name      string         `json:"name"`
						Lifecycle map[string]any `json:"lifecycle"`
					} `json:"initContainers"`
					Containers []struct {
						Name      string         `json:"name"`
						Lifecycle map[string]any `json:"lifecycle"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	dep, ok := docs["Deployment/shop/web"]
	if !ok {
		t.Fatalf("no Deployment in the fixed file; objects: %v", keys(docs))
	}
	if err := sigyaml.Unmarshal([]byte(dep), &d); err != nil {
		t.Fatal(err)
	}
	ps := d.Spec.Template.Spec
	if len(ps.Containers) != 1 || ps.Containers[0].Name != "app" || ps.Containers[0].Lifecycle != nil {
		t.Errorf("containers changed: %+v", ps.Containers)
	}
	if len(ps.InitContainers) != 1 || ps.InitContainers[0].Name != "proxy" || ps.InitContainers[0].Lifecycle["preStop"] == nil {
		t.Errorf("the sidecar got no preStop: %+v", ps.InitContainers)
	}
}
