package check_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// What the golden cases cannot say: the numbers behind a finding, profile
// overrides, re-grading and disabling, the default namespace, the summary.

// nlbIPNoPreStop is a Deployment behind an NLB with ip targets, with no
// preStop and the default grace period.
const nlbIPNoPreStop = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gateway
  namespace: edge
spec:
  replicas: 3
  selector:
    matchLabels: {app: gateway}
  template:
    metadata:
      labels: {app: gateway}
    spec:
      containers:
        - name: gateway
          image: registry.example.com/edge/gateway:1.0.0
          ports:
            - {name: tcp, containerPort: 8443}
          readinessProbe:
            tcpSocket: {port: tcp}
---
apiVersion: v1
kind: Service
metadata:
  name: gateway
  namespace: edge
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
spec:
  type: LoadBalancer
  selector: {app: gateway}
  ports:
    - {name: tcp, port: 443, targetPort: tcp}
`

// albIP is a single-replica Deployment behind an ALB with ip targets. Its
// objects carry no namespace. Its container has no preStop (ZD003 error),
// the default 300 s deregistration delay applies (ZD008 warning), one
// replica is all there is (ZD012 warning) and its namespace is not in the
// input (ZD002 warning).
const albIP = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.0.0
          ports:
            - {name: http, containerPort: 8080}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    alb.ingress.kubernetes.io/target-type: ip
spec:
  ingressClassName: alb
  defaultBackend:
    service:
      name: web
      port: {name: http}
`

func analyze(t *testing.T, yaml string, opts check.Options) *check.Result {
	t.Helper()
	lr := load.Bytes("case.yaml", []byte(yaml), load.Options{})
	if len(lr.Errors) > 0 {
		t.Fatalf("input errors: %+v", lr.Errors)
	}
	return check.Analyze(lr, opts)
}

// only returns the findings of one rule.
func only(res *check.Result, rule string) []finding.Finding {
	var out []finding.Finding
	for _, f := range res.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func one(t *testing.T, res *check.Result, rule string) finding.Finding {
	t.Helper()
	fs := only(res, rule)
	if len(fs) != 1 {
		t.Fatalf("want one %s finding, got %d: %+v", rule, len(fs), fs)
	}
	return fs[0]
}

func evidence(t *testing.T, f finding.Finding, name string) finding.Evidence {
	t.Helper()
	for _, e := range f.Evidence {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("%s finding has no evidence %q: %+v", f.Rule, name, f.Evidence)
	return finding.Evidence{}
}

func TestEvidenceNumbers(t *testing.T) {
	res := analyze(t, nlbIPNoPreStop, check.Options{Only: map[string]bool{"ZD003": true, "ZD004": true}})

	f := one(t, res, "ZD003")
	if f.Severity != finding.Error || f.Container != "gateway" {
		t.Errorf("ZD003: got %s on container %q, want error on gateway", f.Severity, f.Container)
	}
	// Ranges: the value is the high end, the one a requirement is judged
	// against; the range carries both ends.
	for _, want := range []struct {
		name      string
		low, secs int64
		source    timing.Source
		detail    string
	}{
		{"stop sending", 120, 185, timing.FromDerived, "reconcile 0–5s + lb deregister propagation 120–180s"},
		{"required preStop", 125, 190, timing.FromDerived, "stop sending 120–185s + margin 5s"},
	} {
		e := evidence(t, f, want.name)
		if e.Value != want.secs || e.Unit != "s" || e.Source != want.source || e.Detail != want.detail || e.Range == nil || e.Range.Low != want.low || e.Range.High != want.secs {
			t.Errorf("ZD003 evidence %q = %v%s %+v (%s: %s), want %d–%d s (%s: %s)", want.name, e.Value, e.Unit, e.Range, e.Source, e.Detail, want.low, want.secs, want.source, want.detail)
		}
	}
	if lb := evidence(t, f, "load balancer"); lb.Value != "NLB" {
		t.Errorf("ZD003 load balancer = %v, want NLB", lb.Value)
	}
	if tt := evidence(t, f, "target type"); tt.Value != "ip" || tt.Source != timing.FromAnnotation {
		t.Errorf("ZD003 target type = %v (%s), want ip from the annotation", tt.Value, tt.Source)
	}
	if !strings.Contains(f.Message, "120–185s") || !strings.Contains(f.Fix, "190") {
		t.Errorf("ZD003 message or fix lacks the numbers:\n%s\n%s", f.Message, f.Fix)
	}

	// The grace period: 190 s preStop + the larger of the 1–10 s shutdown
	// allowance and the 30 s longest request, against the default 30.
	g := one(t, res, "ZD004")
	if e := evidence(t, g, "terminationGracePeriodSeconds"); e.Value != int64(30) || e.Source != timing.FromDefault {
		t.Errorf("ZD004 grace = %v (%s), want 30 from the default", e.Value, e.Source)
	}
	if e := evidence(t, g, "required grace"); e.Value != int64(220) || e.Source != timing.FromDerived {
		t.Errorf("ZD004 required grace = %v (%s), want 220 derived", e.Value, e.Source)
	}
	if g.Severity != finding.Error || !strings.Contains(g.Message, "every pod deletion (rollout, scale-in, node drain)") {
		t.Errorf("ZD004: %s %q, want an error that names the events", g.Severity, g.Message)
	}
	if g.Fix != "set terminationGracePeriodSeconds to 220" {
		t.Errorf("ZD004 fix = %q", g.Fix)
	}
}

func TestProfileChangesRequiredPreStop(t *testing.T) {
	for _, tc := range []struct {
		name         string
		profile      string
		stop, needed int64
		detail       string
	}{
		{name: "presets", stop: 20, needed: 25,
			detail: "stop sending 5–20s + margin 5s"},
		{name: "one preset", profile: "presets:\n  ALB/ip:\n    deregisterPropagation: 40\n", stop: 45, needed: 50,
			detail: "stop sending 40–45s + margin 5s"},
		{name: "one preset, a range", profile: "presets:\n  ALB/ip:\n    deregisterPropagation: {low: 10, high: 60}\n", stop: 65, needed: 70,
			detail: "stop sending 10–65s + margin 5s"},
		{name: "lower-case preset key", profile: "presets:\n  alb/IP:\n    reconcile: 10\n", stop: 25, needed: 30,
			detail: "stop sending 15–25s + margin 5s"},
		{name: "top-level margin", profile: "margin: 15\n", stop: 20, needed: 35,
			detail: "stop sending 5–20s + margin 15s"},
		{name: "other preset untouched", profile: "presets:\n  NLB/ip:\n    deregisterPropagation: 300\n", stop: 20, needed: 25,
			detail: "stop sending 5–20s + margin 5s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := check.Options{Only: map[string]bool{"ZD003": true}}
			if tc.profile != "" {
				ps, err := timing.ParseProfile("team-profile.yaml", []byte(tc.profile))
				if err != nil {
					t.Fatal(err)
				}
				opts.Timing = ps
			}
			res := analyze(t, albIP, opts)
			f := one(t, res, "ZD003")
			if e := evidence(t, f, "stop sending"); e.Value != tc.stop {
				t.Errorf("stop sending = %v, want %d", e.Value, tc.stop)
			}
			e := evidence(t, f, "required preStop")
			if e.Value != tc.needed || e.Detail != tc.detail {
				t.Errorf("required preStop = %v (%s), want %d (%s)", e.Value, e.Detail, tc.needed, tc.detail)
			}
			if want := "seconds: " + strconv.FormatInt(tc.needed, 10) + "}"; !strings.Contains(f.Fix, want) {
				t.Errorf("fix %q does not ask for %d s", f.Fix, tc.needed)
			}
			wantAssumption := "built-in timing presets"
			if tc.profile != "" {
				wantAssumption = "timing profile team-profile.yaml"
			}
			if !hasPrefix(res.Assumptions, wantAssumption) {
				t.Errorf("assumptions %q lack %q", res.Assumptions, wantAssumption)
			}
		})
	}
}

func TestProfileRejectsUnknownKeys(t *testing.T) {
	for _, bad := range []string{
		"marging: 5\n",
		"presets:\n  GLB/ip:\n    margin: 5\n",
		"margin: -1\n",
		"margin: 2.5\n",
		"presets: 5\n",
	} {
		if _, err := timing.ParseProfile("p.yaml", []byte(bad)); err == nil {
			t.Errorf("ParseProfile accepted %q", bad)
		}
	}
}

func TestRuleSeverity(t *testing.T) {
	only := map[string]bool{"ZD003": true, "ZD008": true}
	base := analyze(t, albIP, check.Options{Only: only})
	if f := one(t, base, "ZD003"); f.Severity != finding.Error || f.Suppressed {
		t.Fatalf("ZD003 before re-grading: %s suppressed=%v, want an unsuppressed error", f.Severity, f.Suppressed)
	}
	// The unset 300 s deregistration delay costs no requests: info.
	if f := one(t, base, "ZD008"); f.Severity != finding.Info {
		t.Fatalf("ZD008 before re-grading: %s, want info", f.Severity)
	}

	t.Run("re-grade", func(t *testing.T) {
		res := analyze(t, albIP, check.Options{Only: only,
			RuleSeverity: map[string]finding.Severity{"ZD003": finding.Warning, "ZD008": finding.Error}})
		if f := one(t, res, "ZD003"); f.Severity != finding.Warning || f.Suppressed {
			t.Errorf("ZD003 re-graded: %s suppressed=%v, want warning", f.Severity, f.Suppressed)
		}
		if f := one(t, res, "ZD008"); f.Severity != finding.Error {
			t.Errorf("ZD008 re-graded: %s, want error", f.Severity)
		}
		if s := res.Summary; s.Errors != 1 || s.Warnings != 1 || s.Suppressed != 0 {
			t.Errorf("summary %+v, want 1 error, 1 warning", s)
		}
	})

	t.Run("disable", func(t *testing.T) {
		res := analyze(t, albIP, check.Options{Only: only, FailOn: finding.Error,
			RuleSeverity: map[string]finding.Severity{"ZD003": 0}})
		f := one(t, res, "ZD003")
		if !f.Suppressed || f.Suppression == nil || f.Suppression.By != "config" {
			t.Fatalf("disabled ZD003: suppressed=%v by %+v, want suppressed by config", f.Suppressed, f.Suppression)
		}
		if !strings.Contains(f.Suppression.Reason, "ZD003") {
			t.Errorf("suppression reason %q does not name the rule", f.Suppression.Reason)
		}
		if f.Severity != finding.Error {
			t.Errorf("a disabled finding keeps its severity for the record; got %s", f.Severity)
		}
		if s := res.Summary; s.Errors != 0 || s.Infos != 1 || s.Suppressed != 1 || s.Failed {
			t.Errorf("summary %+v, want 0 errors, 1 info, 1 suppressed, not failed", s)
		}
	})

	t.Run("config wins over annotation", func(t *testing.T) {
		annotated := strings.Replace(albIP, "      labels: {app: web}\n",
			"      labels: {app: web}\n      annotations: {zerodrop.dev/ignore: ZD003}\n", 1)
		res := analyze(t, annotated, check.Options{Only: only, RuleSeverity: map[string]finding.Severity{"ZD003": 0}})
		if f := one(t, res, "ZD003"); f.Suppression == nil || f.Suppression.By != "config" {
			t.Errorf("suppression %+v, want by config", f.Suppression)
		}
		res = analyze(t, annotated, check.Options{Only: only})
		f := one(t, res, "ZD003")
		if f.Suppression == nil || f.Suppression.By != "annotation" || !strings.Contains(f.Suppression.Reason, "no reason given") {
			t.Errorf("suppression %+v, want by annotation, saying no reason was given", f.Suppression)
		}
	})
}

func TestDefaultNamespace(t *testing.T) {
	for _, tc := range []struct{ opt, want string }{{"", "default"}, {"shop", "shop"}} {
		res := analyze(t, albIP, check.Options{Namespace: tc.opt, Only: map[string]bool{"ZD003": true, "ZD008": true}})
		// The objects are linked (the Ingress finds its Service, the Service
		// its pods) only if they all landed in the same namespace.
		f := one(t, res, "ZD003")
		if f.Object.Namespace != tc.want || f.Object.Kind != "Deployment" || f.Object.Name != "web" {
			t.Errorf("namespace option %q: ZD003 on %+v, want Deployment/web in %s", tc.opt, f.Object, tc.want)
		}
		if g := one(t, res, "ZD008"); g.Object.Namespace != tc.want || g.Object.Kind != "Ingress" {
			t.Errorf("namespace option %q: ZD008 on %+v, want the Ingress in %s", tc.opt, g.Object, tc.want)
		}
	}

	// An object that names its namespace keeps it.
	res := analyze(t, nlbIPNoPreStop, check.Options{Namespace: "shop", Only: map[string]bool{"ZD003": true}})
	if f := one(t, res, "ZD003"); f.Object.Namespace != "edge" {
		t.Errorf("explicit namespace overridden: %+v", f.Object)
	}
}

func TestSummaryAndFailOn(t *testing.T) {
	// ZD003 error, ZD008 info (the unset 300 s delay costs no requests),
	// ZD012 warning (single replica), ZD002 warning (namespace not in the
	// input).
	rules := map[string]bool{"ZD002": true, "ZD003": true, "ZD008": true, "ZD012": true}
	for _, tc := range []struct {
		name       string
		failOn     finding.Severity
		regrade    map[string]finding.Severity
		failed     bool
		errs, warn int
	}{
		{name: "never", failOn: 0, failed: false, errs: 1, warn: 2},
		{name: "error", failOn: finding.Error, failed: true, errs: 1, warn: 2},
		{name: "warning", failOn: finding.Warning, failed: true, errs: 1, warn: 2},
		{name: "info", failOn: finding.Info, failed: true, errs: 1, warn: 2},
		{name: "error, ZD003 down to warning", failOn: finding.Error,
			regrade: map[string]finding.Severity{"ZD003": finding.Warning}, failed: false, errs: 0, warn: 3},
		{name: "error, ZD003 off", failOn: finding.Error,
			regrade: map[string]finding.Severity{"ZD003": 0}, failed: false, errs: 0, warn: 2},
		{name: "warning, all warnings off", failOn: finding.Warning,
			regrade: map[string]finding.Severity{"ZD002": 0, "ZD008": 0, "ZD012": 0}, failed: true, errs: 1, warn: 0},
		{name: "warning, only infos left", failOn: finding.Warning,
			regrade: map[string]finding.Severity{"ZD002": finding.Info, "ZD003": finding.Info, "ZD008": finding.Info, "ZD012": finding.Info}, failed: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := analyze(t, albIP, check.Options{Only: rules, FailOn: tc.failOn, RuleSeverity: tc.regrade})
			s := res.Summary
			if len(res.Findings) != 4 {
				t.Fatalf("want 4 findings, got %d: %s", len(res.Findings), messages(res))
			}
			suppressed, infos := 0, 0
			for _, f := range res.Findings {
				if f.Suppressed {
					suppressed++
				} else if f.Severity == finding.Info {
					infos++
				}
			}
			if s.Errors != tc.errs || s.Warnings != tc.warn || s.Infos != infos || s.Suppressed != suppressed {
				t.Errorf("summary %+v, want %d errors, %d warnings, %d infos, %d suppressed", s, tc.errs, tc.warn, infos, suppressed)
			}
			if s.Errors+s.Warnings+s.Infos+s.Suppressed != len(res.Findings) {
				t.Errorf("summary counts %+v do not add up to %d findings", s, len(res.Findings))
			}
			if s.Failed != tc.failed {
				t.Errorf("Failed = %v, want %v (fail on %s)", s.Failed, tc.failed, tc.failOn)
			}
			if s.FailOn != tc.failOn.String() {
				t.Errorf("FailOn = %q, want %q", s.FailOn, tc.failOn)
			}
			if s.Files != 1 || s.Objects != 3 || s.Workloads != 1 || s.Exposures != 1 || s.InputErrors != 0 {
				t.Errorf("summary %+v, want 1 file, 3 objects, 1 workload, 1 exposure", s)
			}
		})
	}
}

func TestSuppressionByAnnotationDoesNotFail(t *testing.T) {
	annotated := strings.Replace(albIP, "      labels: {app: web}\n",
		"      labels: {app: web}\n      annotations:\n        zerodrop.dev/ignore: prestop\n        zerodrop.dev/ignore-reason: drains on SIGTERM\n", 1)
	res := analyze(t, annotated, check.Options{Only: map[string]bool{"ZD003": true}, FailOn: finding.Error})
	f := one(t, res, "ZD003")
	if !f.Suppressed || f.Suppression.By != "annotation" || f.Suppression.Reason != "drains on SIGTERM" {
		t.Errorf("ZD003 suppression %+v, want by annotation (rule named by its name) with the reason", f.Suppression)
	}
	if res.Summary.Failed || res.Summary.Errors != 0 || res.Summary.Suppressed != 1 {
		t.Errorf("summary %+v: a suppressed error must not count or fail", res.Summary)
	}
}

func TestKubeVersionAssumption(t *testing.T) {
	res := analyze(t, albIP, check.Options{Only: map[string]bool{"ZD003": true}})
	if !hasPrefix(res.Assumptions, "Kubernetes 1.31 assumed") {
		t.Errorf("assumptions %q: want the assumed Kubernetes version", res.Assumptions)
	}
	if f := one(t, res, "ZD003"); !strings.Contains(f.Fix, "sleep: {seconds: 25}") {
		t.Errorf("on 1.31 the fix should use the native sleep: %q", f.Fix)
	}
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// TestAppFactsResolvedOnce: the shutdown mode and the longest request come
// from the workload's annotations, then the flags (set on the profile),
// then the defaults; a value that does not parse is an input error naming
// the object and the annotation.
func TestAppFactsResolvedOnce(t *testing.T) {
	withAnns := func(anns string) string {
		return strings.Replace(albIP, "kind: Deployment\nmetadata:\n  name: web\n", "kind: Deployment\nmetadata:\n  name: web\n  annotations:\n"+anns, 1)
	}
	res := analyze(t, withAnns("    zerodrop.dev/longest-request: soon\n    zerodrop.dev/shutdown: wait\n"), check.Options{Only: map[string]bool{"ZD004": true}})
	if len(res.Errors) != 2 {
		t.Fatalf("want two input errors, got %+v", res.Errors)
	}
	for i, want := range []string{"zerodrop.dev/shutdown", "zerodrop.dev/longest-request"} {
		e := res.Errors[i]
		if !strings.Contains(e.Message, want) || !strings.Contains(e.Message, "Deployment/web") || e.Line == 0 {
			t.Errorf("input error %+v does not name %s, the object and its line", e, want)
		}
	}

	ps := timing.Default()
	ps.SetLongestRequest(90, timing.FromFlag, "--longest-request 90s")
	if err := ps.SetShutdown("exit", timing.FromFlag, "--shutdown exit"); err != nil {
		t.Fatal(err)
	}
	lr := load.Bytes("case.yaml", []byte(withAnns("    zerodrop.dev/longest-request: 45s\n")), load.Options{})
	m := captureModel(t, lr, check.Options{Timing: ps})
	w := m.Inventory.Workloads[0]
	app := m.Pass.App(w)
	if app.LongestRequest.High != 45 || app.LongestRequest.Source != timing.FromAnnotation || !app.Declared() {
		t.Errorf("the annotation must win over the flag: %+v", app.LongestRequest)
	}
	if app.Shutdown != timing.ShutdownExit || app.ShutdownFrom.Source != timing.FromFlag {
		t.Errorf("the flag must win over the default: %+v", app.ShutdownFrom)
	}
	d := captureModel(t, load.Bytes("case.yaml", []byte(albIP), load.Options{}), check.Options{})
	if a := d.Pass.App(d.Inventory.Workloads[0]); a.Shutdown != timing.ShutdownDrain || a.Declared() || a.LongestRequest.High != 30 {
		t.Errorf("defaults: %+v", a)
	}
}

func captureModel(t *testing.T, lr *load.Result, opts check.Options) *check.Model {
	t.Helper()
	var m *check.Model
	check.AnalyzeWith(lr, opts, func(x *check.Model) []finding.Finding { m = x; return nil })
	if m == nil {
		t.Fatal("no model")
	}
	return m
}

// A run that drops patches reports the same findings, each still saying
// whether fix can apply it, without holding the patches.
func TestDropPatchesKeepsFindings(t *testing.T) {
	kept := analyze(t, albIP, check.Options{})
	dropped := analyze(t, albIP, check.Options{DropPatches: true})
	if len(kept.Findings) == 0 || len(kept.Findings) != len(dropped.Findings) {
		t.Fatalf("findings: %d with patches, %d without", len(kept.Findings), len(dropped.Findings))
	}
	patched := 0
	for i, f := range dropped.Findings {
		k := kept.Findings[i]
		if f.Patch != nil {
			t.Errorf("%s: patch kept", f.Rule)
		}
		if k.Patch != nil {
			patched++
		}
		k.Patch = nil
		if !reflect.DeepEqual(k, f) {
			t.Errorf("finding %d differs:\n%+v\n%+v", i, k, f)
		}
	}
	if patched == 0 {
		t.Fatal("the case has no patch to drop")
	}
}
