package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	echoFile = "examples/seed/naive/deployment.yaml"
	apiFile  = "deploy/app:v1,blue.yaml"
)

var (
	echoRef = inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "echoserver", Name: "echoserver"}
	apiRef  = inventory.Ref{APIVersion: "apps/v1", Kind: "StatefulSet", Namespace: "shop", Name: "api"}
)

// sample is a result with two objects, findings of every severity, two
// suppressed findings, an input error, a note and assumptions. Findings of
// the two objects are interleaved on purpose.
func sample() *check.Result {
	stop := []finding.Evidence{
		{Name: "stop sending", Value: 15, Unit: "s", Source: timing.FromDerived, Detail: "reconcile 5s + lb deregister propagation 10s"},
		{Name: "required preStop", Value: 20, Unit: "s", Source: timing.FromDerived, Detail: "stop sending 15s + margin 5s"},
	}
	return &check.Result{
		SchemaVersion: check.SchemaVersion,
		Findings: []finding.Finding{
			{
				Rule: "ZD003", Name: "prestop", Severity: finding.Error, Object: echoRef, Container: "echoserver",
				File: echoFile, Line: 3,
				Message:  "Container echoserver has no preStop hook: on deletion it gets SIGTERM at once, while the ALB keeps sending it new requests for up to 15s; those requests fail (502/504 or reset).",
				Fix:      "add lifecycle.preStop.sleep.seconds: 20 to container echoserver",
				Evidence: stop,
			},
			{
				Rule: "ZD009", Name: "health-check", Severity: finding.Warning, Object: apiRef,
				File: apiFile, Line: 12,
				Message:  "Only 50% of targets pass the health check before old pods go.\nThe rest get traffic while failing.",
				Fix:      "set alb.ingress.kubernetes.io/healthcheck-path: /healthz",
				Evidence: []finding.Evidence{finding.Fact("healthy threshold", 5, timing.FromDefault, "ALB default")},
			},
			{
				Rule: "ZD004", Name: "grace-period", Severity: finding.Warning, Object: echoRef,
				File: echoFile, Line: 3,
				Message:  "terminationGracePeriodSeconds 30s is shorter than preStop 20s + app shutdown 15s = 35s; the kubelet kills in-flight requests after 30s.",
				Fix:      "set terminationGracePeriodSeconds to 45",
				Evidence: []finding.Evidence{{Name: "grace period", Value: 30, Unit: "s", Source: timing.FromDefault, Detail: "Kubernetes default"}},
			},
			{
				Rule: "ZD005", Name: "readiness-probe", Severity: finding.Info, Object: echoRef, Container: "echoserver",
				File: echoFile, Line: 3,
				Message: "Container echoserver has no readiness probe; it is marked ready as soon as it starts.",
				Fix:     "add a readinessProbe on the serving port",
			},
			{
				Rule: "ZD006", Name: "pdb", Severity: finding.Warning, Object: echoRef,
				File: echoFile, Line: 3,
				Message:     "No PodDisruptionBudget covers the 1 replica of echoserver; a node drain takes it down at once.",
				Fix:         "add a PodDisruptionBudget with maxUnavailable: 1 and run 2 replicas",
				Evidence:    []finding.Evidence{finding.Fact("replicas", 1, timing.FromManifest, "spec.replicas")},
				Suppressed:  true,
				Suppression: &finding.Suppression{By: "annotation", Reason: "single replica by design"},
			},
			{
				Rule: "ZD001", Name: "target-type", Severity: finding.Error, Object: apiRef,
				File: apiFile, Line: 12,
				Message:  "api is reached through instance targets: the load balancer keeps sending to a node for 10s after the pod there is gone.",
				Fix:      "set alb.ingress.kubernetes.io/target-type: ip",
				Evidence: []finding.Evidence{finding.Fact("target type", "instance", timing.FromDefault, "controller default")},
			},
			{
				Rule: "ZD011", Name: "ports", Severity: finding.Info, Object: apiRef,
				File: apiFile, Line: 12,
				Message:     "Service port 80 has no name.",
				Fix:         "name the port",
				Suppressed:  true,
				Suppression: &finding.Suppression{By: "config", Reason: "rule ZD011 is disabled in the configuration"},
			},
		},
		Errors: []check.InputError{
			{File: "bad.yaml", Line: 7, Message: "yaml: line 7: mapping values are not allowed in this context"},
		},
		Notes: []inventory.Note{{
			Pos:     load.Position{File: "old.yaml", Line: 1},
			Ref:     inventory.Ref{APIVersion: "extensions/v1beta1", Kind: "Deployment", Namespace: "shop", Name: "legacy"},
			Message: "extensions/v1beta1 Deployment is read as apps/v1 (the old version is no longer served by current Kubernetes)",
		}},
		Assumptions: []string{
			"Kubernetes 1.31 assumed; set --kube-version to change",
			"built-in timing presets; set --profile to use measured delays",
		},
		Summary: check.Summary{Files: 4, Objects: 5, Workloads: 2, Exposures: 2, Errors: 2, Warnings: 2, Infos: 1,
			Suppressed: 2, InputErrors: 1, FailOn: "error", Failed: true},
	}
}

func render(t *testing.T, format string, res *check.Result, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, res, opts); err != nil {
		t.Fatalf("Write(%s): %v", format, err)
	}
	return buf.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestText(t *testing.T) {
	got := render(t, "text", sample(), Options{})
	golden(t, "text.golden", got)

	for _, want := range []string{
		"Deployment/echoserver in echoserver  (examples/seed/naive/deployment.yaml:3)\n",
		"StatefulSet/api in shop  (deploy/app:v1,blue.yaml:12)\n",
		"  error ZD003 prestop [container echoserver]\n",
		"    Container echoserver has no preStop hook:",
		"    numbers: stop sending 15s = reconcile 5s + lb deregister propagation 10s, required preStop 20s = stop sending 15s + margin 5s\n",
		"    fix: add lifecycle.preStop.sleep.seconds: 20 to container echoserver\n",
		"  warning ZD006 pdb  suppressed (annotation: single replica by design)\n",
		"  info ZD011 ports  suppressed (config: rule ZD011 is disabled in the configuration)\n",
		// a message with a line break keeps its indentation
		"    Only 50% of targets pass the health check before old pods go.\n    The rest get traffic while failing.\n",
		"bad.yaml:7: yaml: line 7: mapping values are not allowed in this context\n",
		"old.yaml:1: Deployment/legacy in shop: extensions/v1beta1 Deployment is read as apps/v1",
		"  Kubernetes 1.31 assumed; set --kube-version to change\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Error("text output has ANSI escapes with Color off")
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if last, want := lines[len(lines)-1], "2 errors, 2 warnings, 1 info, 2 suppressed in 5 objects (4 files); 1 input error"; last != want {
		t.Errorf("summary line = %q, want %q", last, want)
	}

	// Objects in order of first appearance; each object's findings together,
	// worst first, suppressed last.
	order := []string{
		"Deployment/echoserver", "error ZD003", "warning ZD004", "info ZD005", "warning ZD006",
		"StatefulSet/api", "error ZD001", "warning ZD009", "info ZD011",
		"Input errors:", "Notes:", "Assumptions:",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(got[at:], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order", s)
		}
		at += i + len(s)
	}
	// Suppressed findings show no numbers or fix unless verbose.
	if strings.Contains(got, "maxUnavailable: 1 and run 2 replicas") {
		t.Error("suppressed finding's fix shown without Verbose")
	}
}

func TestTextVerbose(t *testing.T) {
	got := render(t, "text", sample(), Options{Verbose: true})
	golden(t, "text-verbose.golden", got)
	for _, want := range []string{
		"    numbers:\n      stop sending 15s (derived: reconcile 5s + lb deregister propagation 10s)\n      required preStop 20s (derived: stop sending 15s + margin 5s)\n",
		"    docs: https://github.com/zerodrop/zerodrop/blob/main/docs/rules/ZD003.md\n",
		"    fix: add a PodDisruptionBudget with maxUnavailable: 1 and run 2 replicas\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("verbose text output lacks %q", want)
		}
	}
}

func TestTextColor(t *testing.T) {
	plain := render(t, "text", sample(), Options{})
	colored := render(t, "text", sample(), Options{Color: true})
	for _, want := range []string{
		"\x1b[31merror\x1b[0m ZD003",
		"\x1b[33mwarning\x1b[0m ZD004",
		"\x1b[36minfo\x1b[0m ZD005",
		"\x1b[1mDeployment/echoserver in echoserver  (examples/seed/naive/deployment.yaml:3)\x1b[0m",
		"\x1b[2m  warning ZD006 pdb  suppressed (annotation: single replica by design)\x1b[0m",
	} {
		if !strings.Contains(colored, want) {
			t.Errorf("colored output lacks %q", want)
		}
	}
	if stripped := ansi.ReplaceAllString(colored, ""); stripped != plain {
		t.Errorf("colored output without escapes differs from plain output:\n%s", stripped)
	}
}

func TestTextGrouping(t *testing.T) {
	a := inventory.Ref{Kind: "Deployment", Namespace: "ns", Name: "a"}
	b := inventory.Ref{Kind: "Service", Namespace: "ns", Name: "b"}
	res := &check.Result{Findings: []finding.Finding{
		{Rule: "ZD002", Severity: finding.Info, Object: a, File: "x.yaml", Line: 20, Message: "a2"},
		{Rule: "ZD001", Severity: finding.Warning, Object: b, File: "x.yaml", Line: 3, Message: "b1"},
		{Rule: "ZD001", Severity: finding.Error, Object: a, File: "x.yaml", Line: 20, Message: "a1"},
		{Rule: "ZD009", Severity: finding.Error, Object: b, File: "w.yaml", Line: 1, Message: "w"},
	}, Summary: check.Summary{Objects: 3, Files: 2}}
	got := render(t, "text", res, Options{})
	want := "Service/b in ns  (x.yaml:3)\n  warning ZD001\n    b1\n\n" +
		"Deployment/a in ns  (x.yaml:20)\n  error ZD001\n    a1\n  info ZD002\n    a2\n\n" +
		"Service/b in ns  (w.yaml:1)\n  error ZD009\n    w\n\n" +
		"2 errors, 1 warning, 1 info, 0 suppressed in 3 objects (2 files)\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTextNoFindings(t *testing.T) {
	res := &check.Result{Summary: check.Summary{Objects: 5, Files: 4}}
	if got, want := render(t, "text", res, Options{}), "No findings: 5 objects in 4 files checked\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	res = &check.Result{Summary: check.Summary{Objects: 1, Files: 1},
		Errors: []check.InputError{{File: "a.yaml", Line: 2, Message: "bad"}}}
	got := render(t, "text", res, Options{})
	if !strings.HasSuffix(got, "\nNo findings: 1 object in 1 file checked; 1 input error\n") {
		t.Errorf("got %q", got)
	}
	res = &check.Result{Summary: check.Summary{Files: 1},
		Errors: []check.InputError{{File: "a.yaml", Message: "no Kubernetes objects in a.yaml; nothing was checked"}}}
	if got := render(t, "text", res, Options{}); !strings.HasSuffix(got, "\nNothing checked: no objects in 1 file; 1 input error\n") {
		t.Errorf("got %q", got)
	}
}

func TestJSON(t *testing.T) {
	in := sample()
	out := render(t, "json", in, Options{})
	if !strings.HasSuffix(out, "}\n") || !strings.HasPrefix(out, "{\n  \"schemaVersion\": \"1\",") {
		t.Errorf("unexpected framing:\n%s", out)
	}
	if in.Findings[3].Evidence != nil {
		t.Error("Write changed the caller's result")
	}
	if strings.Contains(out, "null") {
		t.Errorf("json output has null:\n%s", out)
	}

	var back check.Result
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(in.Findings) || len(back.Errors) != 1 || len(back.Notes) != 1 || len(back.Assumptions) != 2 {
		t.Fatalf("round trip lost entries: %+v", back)
	}
	for i, f := range back.Findings {
		w := in.Findings[i]
		if f.Rule != w.Rule || f.Severity != w.Severity || f.Object != w.Object || f.File != w.File ||
			f.Line != w.Line || f.Message != w.Message || f.Fix != w.Fix || f.Suppressed != w.Suppressed ||
			len(f.Evidence) != len(w.Evidence) {
			t.Errorf("finding %d: got %+v, want %+v", i, f, w)
		}
	}
	if s := back.Findings[4].Suppression; s == nil || s.By != "annotation" || s.Reason != "single replica by design" {
		t.Errorf("suppression lost: %+v", s)
	}
	if back.Summary != in.Summary {
		t.Errorf("summary: got %+v, want %+v", back.Summary, in.Summary)
	}
	// Writing what was read gives the same bytes.
	if again := render(t, "json", &back, Options{}); again != out {
		t.Errorf("second round trip differs:\n%s", again)
	}
}

func TestJSONEmpty(t *testing.T) {
	out := render(t, "json", &check.Result{}, Options{})
	for _, want := range []string{`"findings": []`, `"errors": []`, `"notes": []`, `"assumptions": []`, `"schemaVersion": "1"`} {
		if !strings.Contains(out, want) {
			t.Errorf("empty json lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("empty json has null:\n%s", out)
	}
	one := &check.Result{Findings: []finding.Finding{{Rule: "ZD001", Severity: finding.Info}}}
	if out := render(t, "json", one, Options{}); !strings.Contains(out, `"evidence": []`) {
		t.Errorf("nil evidence not written as []:\n%s", out)
	}
}

// sarifDoc is the part of a SARIF log the tests look at, read with
// encoding/json independently of the library that wrote it.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string                  `json:"id"`
					Name             string                  `json:"name"`
					ShortDescription *sarifText              `json:"shortDescription"`
					FullDescription  *sarifText              `json:"fullDescription"`
					Help             *sarifText              `json:"help"`
					HelpURI          string                  `json:"helpUri"`
					Default          *struct{ Level string } `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string     `json:"ruleId"`
			RuleIndex *int       `json:"ruleIndex"`
			Level     string     `json:"level"`
			Message   *sarifText `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Suppressions *[]struct {
				Kind          string `json:"kind"`
				Status        string `json:"status"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
			Properties map[string]any `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

func TestSARIF(t *testing.T) {
	res := sample()
	out := render(t, "sarif", res, Options{ToolVersion: "1.2.3"})

	if _, err := sarif.FromString(out); err != nil {
		t.Fatalf("library cannot read its own output back: %v", err)
	}
	var generic any
	if err := json.Unmarshal([]byte(out), &generic); err != nil {
		t.Fatal(err)
	}
	if path := findNull(generic, "$"); path != "" {
		t.Errorf("null value at %s (the SARIF schema allows none there)", path)
	}

	var doc sarifDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.1.0" {
		t.Errorf("version = %q", doc.Version)
	}
	if !strings.Contains(doc.Schema, "sarif-schema-2.1.0") {
		t.Errorf("$schema = %q", doc.Schema)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "zerodrop" || d.Version != "1.2.3" || d.InformationURI != "https://github.com/zerodrop/zerodrop" {
		t.Errorf("driver = %q %q %q", d.Name, d.Version, d.InformationURI)
	}

	ruleAt := map[string]int{}
	for i, r := range d.Rules {
		if _, dup := ruleAt[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ruleAt[r.ID] = i
		if r.ShortDescription == nil || r.ShortDescription.Text == "" {
			t.Errorf("rule %s has no shortDescription.text", r.ID)
		}
		if r.FullDescription != nil && r.FullDescription.Text == "" {
			t.Errorf("rule %s has a fullDescription without text", r.ID)
		}
		if r.Help == nil || r.Help.Text == "" {
			t.Errorf("rule %s has no help.text", r.ID)
		} else if page, ok := docs.Rule(r.ID); ok && r.Help.Markdown != page {
			t.Errorf("rule %s help.markdown is not its documentation page", r.ID)
		}
		if !strings.HasPrefix(r.HelpURI, "https://") {
			t.Errorf("rule %s helpUri = %q", r.ID, r.HelpURI)
		}
		if r.Default == nil || !validLevel(r.Default.Level) {
			t.Errorf("rule %s has no valid default level", r.ID)
		}
	}
	for _, r := range rules.All() {
		i, ok := ruleAt[r.ID]
		if !ok {
			t.Errorf("registered rule %s missing from the driver", r.ID)
			continue
		}
		if got := d.Rules[i]; got.Name != r.Name || got.ShortDescription.Text != r.Title && r.Title != "" {
			t.Errorf("rule %s: name %q, short %q", r.ID, got.Name, got.ShortDescription.Text)
		}
	}
	for _, id := range []string{"input-error", "ZD001", "ZD003", "ZD004", "ZD005", "ZD006", "ZD009", "ZD011"} {
		if _, ok := ruleAt[id]; !ok {
			t.Errorf("rule %s missing from the driver", id)
		}
	}
	if r := d.Rules[ruleAt["input-error"]]; r.Default.Level != "error" {
		t.Errorf("input-error default level = %q", r.Default.Level)
	}

	if len(run.Results) != len(res.Findings)+len(res.Errors) {
		t.Fatalf("%d results, want %d", len(run.Results), len(res.Findings)+len(res.Errors))
	}
	wantLevel := map[finding.Severity]string{finding.Error: "error", finding.Warning: "warning", finding.Info: "note"}
	for i, r := range run.Results {
		if r.RuleIndex == nil || *r.RuleIndex < 0 || *r.RuleIndex >= len(d.Rules) || d.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex does not point at rule %s", i, r.RuleID)
		}
		if r.Message == nil || r.Message.Text == "" {
			t.Errorf("result %d has no message text", i)
		}
		if len(r.Locations) != 1 {
			t.Errorf("result %d has %d locations", i, len(r.Locations))
			continue
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.Region.StartLine < 1 {
			t.Errorf("result %d startLine = %d", i, loc.Region.StartLine)
		}
		if u := loc.ArtifactLocation.URI; u == "" || strings.HasPrefix(u, "/") || strings.Contains(u, "://") || strings.Contains(u, `\`) {
			t.Errorf("result %d uri %q is not a relative path", i, u)
		}
		if r.Suppressions == nil {
			t.Errorf("result %d has no suppressions array although some results are suppressed", i)
		}
		if i >= len(res.Findings) {
			e := res.Errors[i-len(res.Findings)]
			if r.RuleID != "input-error" || r.Level != "error" || r.Message.Text != e.Message ||
				loc.ArtifactLocation.URI != "bad.yaml" || loc.Region.StartLine != 7 {
				t.Errorf("input error result = %+v", r)
			}
			continue
		}
		f := res.Findings[i]
		if r.RuleID != f.Rule || r.Level != wantLevel[f.Severity] {
			t.Errorf("result %d: rule %s level %s, want %s %s", i, r.RuleID, r.Level, f.Rule, wantLevel[f.Severity])
		}
		if want := f.Message + " Fix: " + f.Fix; r.Message.Text != want {
			t.Errorf("result %d message = %q, want %q", i, r.Message.Text, want)
		}
		if loc.Region.StartLine != f.Line {
			t.Errorf("result %d startLine = %d, want %d", i, loc.Region.StartLine, f.Line)
		}
		obj, _ := r.Properties["object"].(map[string]any)
		if obj["kind"] != f.Object.Kind || obj["name"] != f.Object.Name {
			t.Errorf("result %d object property = %v", i, r.Properties["object"])
		}
		if ev, ok := r.Properties["evidence"].([]any); !ok || len(ev) != len(f.Evidence) {
			t.Errorf("result %d evidence property = %v", i, r.Properties["evidence"])
		}
		switch {
		case !f.Suppressed && len(*r.Suppressions) != 0:
			t.Errorf("result %d is not suppressed but has %v", i, *r.Suppressions)
		case f.Suppressed:
			sups := *r.Suppressions
			want := map[string]string{"annotation": "inSource", "config": "external"}[f.Suppression.By]
			if len(sups) != 1 || sups[0].Kind != want || sups[0].Justification != f.Suppression.Reason || sups[0].Status != "accepted" {
				t.Errorf("result %d suppressions = %+v, want kind %s", i, sups, want)
			}
		}
	}
	if u := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "examples/seed/naive/deployment.yaml" {
		t.Errorf("uri = %q", u)
	}
	if u := run.Results[1].Locations[0].PhysicalLocation.ArtifactLocation.URI; u != "deploy/app:v1,blue.yaml" {
		t.Errorf("uri = %q", u)
	}
}

func TestSARIFNoSuppressions(t *testing.T) {
	res := &check.Result{Findings: []finding.Finding{{Rule: "ZD001", Name: "target-type", Severity: finding.Error,
		File: "a.yaml", Line: 0, Message: "m"}}}
	var doc sarifDoc
	if err := json.Unmarshal([]byte(render(t, "sarif", res, Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	r := doc.Runs[0].Results[0]
	if r.Suppressions != nil {
		t.Error("suppressions written although nothing is suppressed")
	}
	if r.Message.Text != "m" {
		t.Errorf("message without fix = %q", r.Message.Text)
	}
	if got := r.Locations[0].PhysicalLocation.Region.StartLine; got != 1 {
		t.Errorf("line 0 written as startLine %d, want 1", got)
	}
}

func TestSARIFPaths(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		filepath.Join(wd, "k8s", "app.yaml"): "k8s/app.yaml",
		"./k8s//app.yaml":                    "k8s/app.yaml",
		"a:b.yaml":                           "a%3Ab.yaml",
		"dir/a b.yaml":                       "dir/a%20b.yaml",
		"<stdin>":                            "%3Cstdin%3E",
	} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}

	saved := getwd
	defer func() { getwd = saved }()
	getwd = func() (string, error) { return "/srv/repo", nil }
	if got := relPath("/srv/repo/k8s/app.yaml"); got != "k8s/app.yaml" {
		t.Errorf("relPath = %q", got)
	}
	getwd = func() (string, error) { return "", os.ErrNotExist }
	if got := relPath("/srv/repo/k8s/app.yaml"); got != "srv/repo/k8s/app.yaml" {
		t.Errorf("relPath without a working directory = %q", got)
	}
}

func TestSARIFRuleHelp(t *testing.T) {
	page := "# ZD099 example\n\nSeverity: warning.\nScope: exposed.\n\n## What it finds\n\nFirst line\nof the finding.\n\nMore.\n"
	if got := firstParagraph(page, "fallback"); got != "First line of the finding." {
		t.Errorf("firstParagraph = %q", got)
	}
	if got := firstParagraph("# ZD099\n\nLead text\nhere.\n", "fallback"); got != "Lead text here." {
		t.Errorf("firstParagraph without sections = %q", got)
	}
	if got := firstParagraph("# Only a title\n", "fallback"); got != "fallback" {
		t.Errorf("firstParagraph without text = %q", got)
	}
	// Any page that exists becomes the rule's help, as text and Markdown.
	id := "ZD000"
	if p, ok := docs.Rule(id); ok {
		d := sarifRule(id, "example", "An example", finding.Warning)
		if d.Help == nil || d.Help.Text == nil || *d.Help.Text != p || d.Help.Markdown == nil || *d.Help.Markdown != p {
			t.Errorf("help of %s is not its page", id)
		}
		if d.FullDescription == nil || *d.FullDescription.Text != firstParagraph(p, "An example") {
			t.Errorf("fullDescription of %s = %v", id, d.FullDescription)
		}
	}
	d := sarifRule("ZD999", "", "", finding.Info)
	if *d.ShortDescription.Text != "ZD999" || d.Name != nil || d.DefaultConfiguration.Level != "note" ||
		!strings.Contains(*d.Help.Text, "ZD999.md") {
		t.Errorf("rule without page or title: %+v", d)
	}
}

func validLevel(s string) bool {
	return s == "error" || s == "warning" || s == "note" || s == "none"
}

// findNull returns the path of the first null in a decoded JSON value.
func findNull(v any, path string) string {
	switch x := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, e := range x {
			if p := findNull(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := findNull(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// junitDoc reads JUnit XML independently of the writer's types.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			File      string `xml:"file,attr"`
			Failures  []struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Errors []struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	out := render(t, "junit", sample(), Options{ToolVersion: "1.2.3"})
	golden(t, "junit.golden", out)
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "zerodrop" {
		t.Fatalf("want one testsuite named zerodrop, got %+v", doc.Suites)
	}
	s := doc.Suites[0]
	if len(s.Cases) != 3 {
		t.Fatalf("%d test cases, want 3 (2 objects, 1 input error)", len(s.Cases))
	}
	failures, errs := 0, 0
	for _, c := range s.Cases {
		if len(c.Errors) > 0 {
			errs++
		} else if len(c.Failures) > 0 {
			failures++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errs || failures != 2 || errs != 1 {
		t.Errorf("suite counts tests=%d failures=%d errors=%d; counted %d %d %d",
			s.Tests, s.Failures, s.Errors, len(s.Cases), failures, errs)
	}
	if doc.Tests != s.Tests || doc.Failures != s.Failures || doc.Errors != s.Errors {
		t.Errorf("root counts %d/%d/%d differ from the suite's", doc.Tests, doc.Failures, doc.Errors)
	}

	echo, api, input := s.Cases[0], s.Cases[1], s.Cases[2]
	if echo.Classname != "Deployment" || echo.Name != "echoserver/echoserver" || echo.File != echoFile {
		t.Errorf("echo case = %q %q %q", echo.Classname, echo.Name, echo.File)
	}
	if api.Classname != "StatefulSet" || api.Name != "shop/api" || api.File != apiFile {
		t.Errorf("api case = %q %q %q", api.Classname, api.Name, api.File)
	}
	types := func(fs []struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}) string {
		var ts []string
		for _, f := range fs {
			ts = append(ts, f.Type)
		}
		return strings.Join(ts, ",")
	}
	if got := types(echo.Failures); got != "ZD003,ZD004" {
		t.Errorf("echo failures = %s, want ZD003,ZD004 (info and suppressed are not failures)", got)
	}
	if got := types(api.Failures); got != "ZD001,ZD009" {
		t.Errorf("api failures = %s", got)
	}
	if m := echo.Failures[0].Message; !strings.HasPrefix(m, "Container echoserver has no preStop hook") {
		t.Errorf("failure message = %q", m)
	}
	if body := echo.Failures[0].Text; !strings.Contains(body, "numbers: stop sending 15s") || !strings.Contains(body, "fix: add lifecycle.preStop") {
		t.Errorf("failure body = %q", body)
	}
	if !strings.Contains(echo.SystemOut, "info ZD005 readiness-probe") || !strings.Contains(echo.SystemOut, "suppressed (annotation: single replica by design) warning ZD006") {
		t.Errorf("echo system-out = %q", echo.SystemOut)
	}
	if !strings.Contains(api.SystemOut, "suppressed (config: ") {
		t.Errorf("api system-out = %q", api.SystemOut)
	}
	if input.Name != "bad.yaml:7" || len(input.Errors) != 1 || input.Errors[0].Type != "input-error" ||
		!strings.Contains(input.Errors[0].Message, "mapping values") {
		t.Errorf("input error case = %+v", input)
	}
	if !strings.Contains(s.SystemOut, "note: old.yaml:1: ") || !strings.Contains(s.SystemOut, "assumed: Kubernetes 1.31") {
		t.Errorf("suite system-out = %q", s.SystemOut)
	}
}

func TestJUnitEmpty(t *testing.T) {
	out := render(t, "junit", &check.Result{}, Options{})
	var doc junitDoc
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Tests != 1 || s.Failures != 0 || s.Errors != 0 || len(s.Cases) != 1 || s.Cases[0].Name != "zerodrop check" || len(s.Cases[0].Failures) != 0 {
		t.Errorf("empty result: %+v", s)
	}

	// Only info findings: a passing case that keeps them in its output.
	info := &check.Result{Findings: []finding.Finding{{Rule: "ZD005", Name: "readiness-probe", Severity: finding.Info,
		Object: inventory.Ref{Kind: "Namespace", Name: "prod"}, File: "ns.yaml", Line: 1, Message: "m"}}}
	doc = junitDoc{}
	if err := xml.Unmarshal([]byte(render(t, "junit", info, Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	s = doc.Suites[0]
	if s.Tests != 1 || s.Failures != 0 || s.Cases[0].Name != "prod" || !strings.Contains(s.Cases[0].SystemOut, "info ZD005") {
		t.Errorf("info-only result: %+v", s)
	}
}

func TestGitHub(t *testing.T) {
	got := render(t, "github", sample(), Options{})
	want := "" +
		"::error file=examples/seed/naive/deployment.yaml,line=3,title=ZD003 prestop::Container echoserver has no preStop hook: on deletion it gets SIGTERM at once, while the ALB keeps sending it new requests for up to 15s; those requests fail (502/504 or reset). Fix: add lifecycle.preStop.sleep.seconds: 20 to container echoserver\n" +
		"::warning file=deploy/app%3Av1%2Cblue.yaml,line=12,title=ZD009 health-check::Only 50%25 of targets pass the health check before old pods go.%0AThe rest get traffic while failing. Fix: set alb.ingress.kubernetes.io/healthcheck-path: /healthz\n" +
		"::warning file=examples/seed/naive/deployment.yaml,line=3,title=ZD004 grace-period::terminationGracePeriodSeconds 30s is shorter than preStop 20s + app shutdown 15s = 35s; the kubelet kills in-flight requests after 30s. Fix: set terminationGracePeriodSeconds to 45\n" +
		"::notice file=examples/seed/naive/deployment.yaml,line=3,title=ZD005 readiness-probe::Container echoserver has no readiness probe; it is marked ready as soon as it starts. Fix: add a readinessProbe on the serving port\n" +
		"::error file=deploy/app%3Av1%2Cblue.yaml,line=12,title=ZD001 target-type::api is reached through instance targets: the load balancer keeps sending to a node for 10s after the pod there is gone. Fix: set alb.ingress.kubernetes.io/target-type: ip\n" +
		"::error file=bad.yaml,line=7,title=input error::yaml: line 7: mapping values are not allowed in this context\n" +
		"::notice::2 findings suppressed\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	res := &check.Result{Findings: []finding.Finding{{Rule: "ZD001", Severity: finding.Warning, File: "a.yaml",
		Message: "100%\r\ndone", Fix: "x"}}}
	if got, want := render(t, "github", res, Options{}), "::warning file=a.yaml,title=ZD001::100%25%0D%0Adone Fix: x\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := render(t, "github", &check.Result{}, Options{}); got != "" {
		t.Errorf("empty result wrote %q", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "xml", sample(), Options{})
	if err == nil {
		t.Fatal("no error for an unknown format")
	}
	for _, f := range Formats() {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name format %s", err, f)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q for an unknown format", buf.String())
	}
}

func TestFormats(t *testing.T) {
	if got := strings.Join(Formats(), ","); got != "text,json,sarif,junit,github" {
		t.Errorf("Formats() = %s", got)
	}
	Formats()[0] = "changed"
	if Formats()[0] != "text" {
		t.Error("Formats returns the package's own slice")
	}
	for _, f := range Formats() {
		for _, res := range []*check.Result{sample(), {}} {
			var buf bytes.Buffer
			if err := Write(&buf, strings.ToUpper(f), res, Options{}); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	if got := render(t, "", &check.Result{Summary: check.Summary{Objects: 1, Files: 1}}, Options{}); !strings.HasPrefix(got, "No findings") {
		t.Errorf("empty format is not text: %q", got)
	}
	if err := Write(&bytes.Buffer{}, "text", nil, Options{}); err == nil {
		t.Error("no error for a nil result")
	}
}

// TestNoExposureGolden checks, for every output format, that a run which
// read objects but found no AWS load balancer exposure says so and names
// what was checked: a green run must not read as a judged one. The result
// comes from a real check of testdata/nginx-only.yaml.
func TestNoExposureGolden(t *testing.T) {
	res := check.Run(context.Background(), check.Options{Paths: []string{"testdata/nginx-only.yaml"}})
	if len(res.Errors) > 0 {
		t.Fatalf("input errors: %+v", res.Errors)
	}
	const want = "no AWS load balancer exposure found: checked 1 Ingress (none of the ALB class), 1 Service (0 of type LoadBalancer, none read as an AWS load balancer with a Service in the input) and 0 TargetGroupBindings"
	if res.Summary.NoExposure != want {
		t.Fatalf("summary.noExposure = %q, want %q", res.Summary.NoExposure, want)
	}
	for _, tc := range []struct{ format, file string }{
		{"text", "no-exposure.txt"},
		{"json", "no-exposure.json"},
		{"sarif", "no-exposure.sarif"},
		{"junit", "no-exposure.xml"},
		{"github", "no-exposure.github"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := render(t, tc.format, res, Options{})
			if tc.format == "sarif" {
				golden(t, tc.file, withoutRuleHelp(t, out))
			} else {
				golden(t, tc.file, out)
			}
			// Whatever the layout, the sentence itself is there, unbroken
			// (text capitalises it; XML escapes nothing in it).
			if !strings.Contains(strings.ToLower(out[:1])+out[1:], want[1:]) {
				t.Errorf("%s output does not carry the no-exposure summary:\n%s", tc.format, out)
			}
		})
	}

	// The SARIF note is an invocation notification described by the
	// driver, read back without the library that wrote it.
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Notifications []struct {
						ID string `json:"id"`
					} `json:"notifications"`
				} `json:"driver"`
			} `json:"tool"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				Notifications       []struct {
					Level      string    `json:"level"`
					Message    sarifText `json:"message"`
					Descriptor struct {
						ID    string `json:"id"`
						Index int    `json:"index"`
					} `json:"descriptor"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
			Results []json.RawMessage `json:"results"`
		} `json:"runs"`
	}
	out := render(t, "sarif", res, Options{})
	if _, err := sarif.FromString(out); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful || len(run.Invocations[0].Notifications) != 1 {
		t.Fatalf("invocations = %+v", run.Invocations)
	}
	n := run.Invocations[0].Notifications[0]
	if n.Level != "note" || n.Message.Text != want || n.Descriptor.ID != NoExposureNotification ||
		len(run.Tool.Driver.Notifications) <= n.Descriptor.Index || run.Tool.Driver.Notifications[n.Descriptor.Index].ID != NoExposureNotification {
		t.Errorf("notification = %+v, driver notifications %+v", n, run.Tool.Driver.Notifications)
	}

	// A run with an exposure has no such note in any format.
	res.Summary.NoExposure = ""
	for _, f := range []string{"text", "json", "sarif", "junit", "github"} {
		if out := render(t, f, res, Options{}); strings.Contains(out, "no AWS load balancer exposure") || strings.Contains(out, "No AWS load balancer exposure") || strings.Contains(out, "toolExecutionNotifications") || strings.Contains(out, "zerodrop.noExposure") {
			t.Errorf("%s output mentions no exposure though there is one:\n%s", f, out)
		}
	}
}

// withoutRuleHelp drops the rule descriptions (the rule pages, tested by
// TestSARIFRuleHelp) from a SARIF log, so that its golden file changes with
// the run's shape and not with every edit of a rule's documentation.
func withoutRuleHelp(t *testing.T, out string) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc["runs"].([]any) {
		driver := r.(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)
		var ids []any
		for _, rule := range driver["rules"].([]any) {
			ids = append(ids, rule.(map[string]any)["id"])
		}
		driver["rules"] = ids
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// A clean run that found no load balancer: the text summary and JUnit's
// one passing case still say that nothing was judged.
func TestNoExposureWithoutFindings(t *testing.T) {
	const ne = "no AWS load balancer exposure found: checked 0 Ingresses (none of the ALB class), 1 Service (0 of type LoadBalancer, none read as an AWS load balancer with a Service in the input) and 0 TargetGroupBindings"
	res := &check.Result{Summary: check.Summary{Objects: 2, Files: 1, NoExposure: ne}}
	if got, want := render(t, "text", res, Options{}), "No findings: 2 objects in 1 file checked\nN"+ne[1:]+".\n"; got != want {
		t.Errorf("text:\n%q\nwant\n%q", got, want)
	}
	var doc junitDoc
	if err := xml.Unmarshal([]byte(render(t, "junit", res, Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Tests != 1 || s.Failures != 0 || s.Cases[0].SystemOut != ne || !strings.HasPrefix(s.SystemOut, ne) {
		t.Errorf("junit: %+v", s)
	}
}
