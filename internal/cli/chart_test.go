package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

const echoChart = "../../examples/helm/echoserver"

// TestCheckChart: a chart directory is rendered in process and each
// finding points at the template (and the line its document starts on).
func TestCheckChart(t *testing.T) {
	code, out, errOut := run(t, "", "check", echoChart, "-o", "json", "--fail-on", "error")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1: %s\n%s", code, errOut, out)
	}
	var res struct {
		Findings []struct {
			Rule string `json:"rule"`
			File string `json:"file"`
			Line int    `json:"line"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	at := map[string]string{}
	for _, f := range res.Findings {
		at[f.Rule] = filepath.ToSlash(f.File) + ":" + itoa(f.Line)
	}
	want := map[string]string{
		"ZD003": echoChart + "/templates/deployment.yaml:2",
		"ZD001": echoChart + "/templates/exposure.yaml:15",
	}
	for rule, pos := range want {
		if at[rule] != pos {
			t.Errorf("%s at %q, want %q (all: %v)", rule, at[rule], pos, at)
		}
	}
	// The recommended values fix what the defaults get wrong.
	code, out, errOut = run(t, "", "check", echoChart, "--values", echoChart+"/values-recommended.yaml",
		"--set", "replicas=1", "--release-name", "shop", "-n", "prod", "--fail-on", "error", "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"Deployment/shop in prod"`) && !strings.Contains(out, `"name": "shop"`) {
		t.Errorf("recommended values: exit %d, stderr %s\n%s", code, errOut, out)
	}
}

func TestCheckChartErrors(t *testing.T) {
	// Unrendered templates read as plain YAML get the hint.
	code, _, errOut := run(t, "", "check", "-R", echoChart+"/templates")
	_ = errOut
	code2, out, _ := run(t, "", "check", "-R", echoChart+"/templates", "-o", "json")
	if code != ExitInput || code2 != ExitInput || !strings.Contains(out, "this looks like a Helm chart: pass the chart directory") {
		t.Errorf("templates as YAML: exit %d, output lacks the hint:\n%s", code, out)
	}
	if code, _, errOut := run(t, "", "check", "../../examples/seed/naive", "--set", "a=b"); code != ExitInput || !strings.Contains(errOut, "Helm chart") {
		t.Errorf("--set without a chart: exit %d: %s", code, errOut)
	}
	if code, out, _ := run(t, "", "check", echoChart, "--values", "missing.yaml", "-o", "json"); code != ExitInput || !strings.Contains(out, "missing.yaml") {
		t.Errorf("missing values file: exit %d\n%s", code, out)
	}
}

// TestFixChart: a chart's templates are never edited; -o patch writes
// kustomize patches for a post-renderer.
func TestFixChart(t *testing.T) {
	dir := t.TempDir()
	before := readTree(t, echoChart)
	if code, _, errOut := run(t, "", "fix", echoChart); code != ExitInput || !strings.Contains(errOut, "post-renderer") {
		t.Errorf("fix in place: exit %d: %s", code, errOut)
	}
	code, _, errOut := run(t, "", "fix", echoChart, "-o", "patch", "--patch-dir", dir)
	if code != ExitOK {
		t.Fatalf("fix -o patch: exit %d: %s", code, errOut)
	}
	patch, err := os.ReadFile(filepath.Join(dir, "patch-deployment-default-release-name.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(patch), "preStop") {
		t.Errorf("patch lacks the preStop hook:\n%s", patch)
	}
	if after := readTree(t, echoChart); after != before {
		t.Error("fix changed the chart")
	}
}

func TestSelector(t *testing.T) {
	labelled := strings.ReplaceAll(risky, "metadata: {name: web, namespace: shop}", "metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}")
	labelled = strings.Replace(labelled, "  name: web\n  namespace: shop\n", "  name: web\n  namespace: shop\n  labels: {app: web}\n", 1)
	dir := testutil.WriteTree(t, map[string]string{"web.yaml": labelled})
	for sel, want := range map[string]bool{"app=web": true, "app in (web,api),tier!=cache": true, "app=other": false, "!app": false} {
		_, out, _ := run(t, "", "check", dir, "-l", sel, "-o", "json")
		if got := strings.Contains(out, "ZD003"); got != want {
			t.Errorf("-l %s: ZD003 reported %v, want %v\n%s", sel, got, want, out)
		}
	}
	// kubectl's meaning: an object without the labels is not read, so the
	// Ingress left out here leaves the Deployment with no load balancer.
	_, out, _ := run(t, "", "check", dir, "-l", "tier=front", "-o", "json")
	if strings.Contains(out, "ZD003") || !strings.Contains(out, `"objects": 2`) {
		t.Errorf("-l tier=front keeps the Deployment and the Service only:\n%s", out)
	}
	for _, cmd := range []string{"check", "fix", "simulate", "audit"} {
		args := []string{cmd, "-l", "a in ("}
		if cmd != "audit" {
			args = append(args, "../../examples/seed/naive")
		}
		if code, _, errOut := run(t, "", args...); code != ExitInput || !strings.Contains(errOut, "--selector") {
			t.Errorf("%s -l 'a in (': exit %d: %s", cmd, code, errOut)
		}
	}
}

func readTree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + "\n" + string(data))
		}
		return nil
	})
	return b.String()
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
