package helmchart

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// TestProjectChartRunsTheImage renders deploy/helm/zerodrop with its
// defaults, as `helm template` would, and checks that the webhook would run
// the image tools/image/build.sh builds: ghcr.io/zerodrop/zerodrop at the
// chart's appVersion, the binary's webhook command, as the image's non-root
// user, on a read-only root filesystem.
func TestProjectChartRunsTheImage(t *testing.T) {
	const dir = "../../deploy/helm/zerodrop"
	chartYAML, err := os.ReadFile(dir + "/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^appVersion: *"?([^"\n]+)"?`).FindSubmatch(chartYAML)
	if m == nil {
		t.Fatal("Chart.yaml has no appVersion")
	}
	wantImage := "ghcr.io/zerodrop/zerodrop:" + string(m[1])

	out, err := Render(dir, Options{ReleaseName: "zerodrop", Namespace: "zerodrop"})
	if err != nil {
		t.Fatal(err)
	}
	var dep *appsv1.Deployment
	for _, doc := range sep.Split(string(out), -1) {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		dep = &appsv1.Deployment{}
		if err := yaml.Unmarshal([]byte(doc), dep); err != nil {
			t.Fatal(err)
		}
	}
	if dep == nil {
		t.Fatalf("no Deployment in the default rendering:\n%s", out)
	}
	pod := dep.Spec.Template.Spec
	c := pod.Containers[0]
	if c.Image != wantImage {
		t.Errorf("webhook image %q, want %q (the image tools/image/build.sh names)", c.Image, wantImage)
	}
	if len(c.Command) != 0 || len(c.Args) == 0 || c.Args[0] != "webhook" {
		t.Errorf("webhook container: command %v args %v; want the image's entrypoint with args webhook ...", c.Command, c.Args)
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != 65532 {
		t.Errorf("pod security context %+v: want runAsNonRoot and user 65532 (the image's nonroot)", psc)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("container security context %+v: want readOnlyRootFilesystem", sc)
	}
	// With a registry and tag of one's own:
	out, err = Render(dir, Options{Set: []string{"image.registry=registry.example.com,image.repository=team/zd,image.tag=v9"}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte(`image: "registry.example.com/team/zd:v9"`)) {
		t.Errorf("image values not used:\n%s", out)
	}
}
