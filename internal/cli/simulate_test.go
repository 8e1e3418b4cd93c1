package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/sim"
)

type simJSON struct {
	SchemaVersion string `json:"schemaVersion"`
	Results       []struct {
		Workload string `json:"workload"`
		Variant  string `json:"variant"`
		Event    string `json:"event"`
		Requests struct {
			Total, OK, Failed int64
		} `json:"requests"`
		Failures       map[string]int64 `json:"failures"`
		Causes         []map[string]any `json:"causes"`
		RolloutSeconds *float64         `json:"rolloutSeconds"`
		Percentiles    *struct {
			Failed struct{ P50, P95, P99 float64 } `json:"failed"`
		} `json:"percentiles"`
	} `json:"results"`
}

func TestSimulateBuiltIn(t *testing.T) {
	code, out, errb := run(t, "", "simulate", "-o", "json", "--runs", "3", "--seed", "7")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rep simJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != string(sim.SchemaVersion) || len(rep.Results) != 4 {
		t.Fatalf("schema %q, %d results", rep.SchemaVersion, len(rep.Results))
	}
	want := []string{"naive-alb", "recommended-alb", "naive-nlb", "recommended-nlb"}
	for i, r := range rep.Results {
		if r.Variant != want[i] || r.Event != "rollout" || r.Workload != "Deployment/echoserver in echoserver" {
			t.Errorf("result %d: %s %s %s", i, r.Workload, r.Variant, r.Event)
		}
		if r.Requests.Total != r.Requests.OK+r.Requests.Failed || r.RolloutSeconds == nil || r.Percentiles == nil {
			t.Errorf("%s: %+v", r.Variant, r)
		}
		naive := strings.HasPrefix(r.Variant, "naive")
		if naive != (r.Requests.Failed > 0) || naive != (len(r.Causes) > 0) {
			t.Errorf("%s: %d failed, causes %v", r.Variant, r.Requests.Failed, r.Causes)
		}
	}
	// The same seed gives the same bytes.
	_, again, _ := run(t, "", "simulate", "-o", "json", "--runs", "3", "--seed", "7", "--workers", "1")
	if again != out {
		t.Error("the same seed gave different output")
	}
}

func TestSimulateTextAndReport(t *testing.T) {
	dir := t.TempDir()
	html := filepath.Join(dir, "sim.html")
	code, out, errb := run(t, "", "simulate", "--event", "all", "--report", html)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	for _, s := range []string{"naive-alb, rollout", "recommended-nlb, drain", "none failed", "requests (502)", "Assumptions:"} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q", s)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	p := string(page)
	if strings.Count(p, "<svg") != 12 || strings.Contains(p, "<script") || strings.Contains(p, "http://") && !strings.Contains(p, "http://www.w3.org/2000/svg") {
		t.Errorf("report: %d charts, or it loads something", strings.Count(p, "<svg"))
	}
}

func TestSimulateCompare(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"app.yaml": risky})
	code, out, errb := run(t, "", "simulate", dir, "--compare", "-o", "json", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	var rep simJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Results[0].Variant != "current" || rep.Results[1].Variant != "fixed" {
		t.Fatalf("results %+v", rep.Results)
	}
	if cur, fixed := rep.Results[0].Requests.Failed, rep.Results[1].Requests.Failed; cur == 0 || fixed >= cur {
		t.Errorf("current drops %d, fixed %d", cur, fixed)
	}
	if code, _, _ := run(t, "", "simulate", dir, "--fail-on-drop"); code != ExitFindings {
		t.Errorf("--fail-on-drop: exit %d, want %d", code, ExitFindings)
	}
	// The input files are untouched.
	if b, _ := os.ReadFile(filepath.Join(dir, "app.yaml")); string(b) != risky {
		t.Error("--compare changed the input")
	}
}

func TestSimulatePlan(t *testing.T) {
	code, out, errb := run(t, "", "simulate", "--plan", "--replicas", "100", "--rps", "0", "--plan-surge", "1,25%,100%")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if strings.Count(out, "rollout plan, 100 replicas") != 4 || !strings.Contains(out, "100%") {
		t.Errorf("plan output:\n%s", out)
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"simulate", "--event", "reboot"},
		{"simulate", "--runs", "0"},
		{"simulate", "--app", "panic"},
		{"simulate", "--compare"},
		{"simulate", "-o", "sarif"},
		{"simulate", "--plan", "--plan-surge", "lots"},
		{"simulate", "--duration-ms", "45000"}, // above the longest request, 30 s
		{"simulate", "--lb-connections", "-1"},
		{"simulate", "--lb-connections", "NaN"},
	} {
		if code, _, _ := run(t, "", args...); code != ExitInput {
			t.Errorf("%v: exit %d, want %d", args, code, ExitInput)
		}
	}
}
