package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// run calls the CLI in-process and returns exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const risky = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: example/web:1
        ports: [{containerPort: 8080, name: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    alb.ingress.kubernetes.io/target-type: ip
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {number: 80}}}
`

// onlyInfo is a workload no load balancer fronts whose only finding is ZD007 info.
const onlyInfo = `apiVersion: apps/v1
kind: Deployment
metadata: {name: job, namespace: ops}
spec:
  replicas: 1
  selector: {matchLabels: {app: job}}
  template:
    metadata: {labels: {app: job}}
    spec:
      containers:
      - name: app
        image: example/job:1
        command: ["sh", "-c", "run-job"]
`

func TestExitCodes(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"risky.yaml": risky, "info.yaml": onlyInfo, "broken.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: x\n"})
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"findings at default fail-on warning", []string{"check", filepath.Join(dir, "risky.yaml")}, ExitFindings},
		{"fail-on none", []string{"check", "--fail-on", "none", filepath.Join(dir, "risky.yaml")}, ExitOK},
		{"info below warning", []string{"check", filepath.Join(dir, "info.yaml")}, ExitOK},
		{"info at fail-on info", []string{"check", "--fail-on", "info", filepath.Join(dir, "info.yaml")}, ExitFindings},
		{"input error wins", []string{"check", filepath.Join(dir, "risky.yaml"), filepath.Join(dir, "broken.yaml")}, ExitInput},
		{"missing file", []string{"check", filepath.Join(dir, "nope.yaml")}, ExitInput},
		{"bad flag", []string{"check", "--no-such-flag"}, ExitInput},
		{"bad output", []string{"check", "-o", "xml", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"bad fail-on", []string{"check", "--fail-on", "fatal", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"bad kube version", []string{"check", "--kube-version", "one", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"unknown rule", []string{"check", "--rules", "ZD999", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"explain unknown", []string{"explain", "ZD999"}, ExitInput},
		{"bad shutdown", []string{"check", "--shutdown", "wait", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"bad longest request", []string{"check", "--longest-request", "45", filepath.Join(dir, "risky.yaml")}, ExitInput},
		{"explain timing with a bad profile", []string{"explain", "timing", "--profile", filepath.Join(dir, "nope.yaml")}, ExitInput},
		{"version", []string{"version"}, ExitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, "", c.args...)
			if code != c.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.want, out, errOut)
			}
		})
	}
}

func TestInputErrorStillReportsFindings(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"all.yaml": risky + "---\nkind: [broken\n---\n" + onlyInfo})
	code, out, _ := run(t, "", "check", "-o", "json", filepath.Join(dir, "all.yaml"))
	if code != ExitInput {
		t.Fatalf("exit %d, want %d", code, ExitInput)
	}
	var res struct {
		Findings []struct{ Rule string } `json:"findings"`
		Errors   []struct {
			File    string `json:"file"`
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	wantLine := strings.Count(risky, "\n") + 2 // the line of "kind: [broken"
	if len(res.Errors) != 1 || res.Errors[0].Line != wantLine || !strings.HasSuffix(res.Errors[0].File, "all.yaml") {
		t.Fatalf("want one error at all.yaml:%d, got %+v", wantLine, res.Errors)
	}
	rules := map[string]bool{}
	for _, f := range res.Findings {
		rules[f.Rule] = true
	}
	if !rules["ZD003"] || !rules["ZD007"] {
		t.Fatalf("documents around the broken one were not checked: %v", rules)
	}
}

func TestOutputFormats(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"risky.yaml": risky})
	path := filepath.Join(dir, "risky.yaml")

	t.Run("text", func(t *testing.T) {
		_, out, _ := run(t, "", "check", path)
		for _, want := range []string{"Deployment/web in shop", "ZD003", "fix:", "1 error,"} {
			if !strings.Contains(out, want) {
				t.Errorf("text output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Error("colour codes in output that is not a terminal")
		}
		_, out, _ = run(t, "", "check", "--color", "always", path)
		if !strings.Contains(out, "\x1b[") {
			t.Error("--color always gave no colour")
		}
	})
	t.Run("json", func(t *testing.T) {
		_, out, _ := run(t, "", "check", "-o", "json", path)
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"schemaVersion", "findings", "errors", "summary"} {
			if _, ok := res[k]; !ok {
				t.Errorf("json lacks %q", k)
			}
		}
		f := res["findings"].([]any)[0].(map[string]any)
		for _, k := range []string{"rule", "name", "severity", "object", "file", "line", "message", "fix", "evidence", "suppressed"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %v", k, f)
			}
		}
	})
	t.Run("sarif", func(t *testing.T) {
		_, out, _ := run(t, "", "check", "-o", "sarif", path)
		var s struct {
			Version string `json:"version"`
			Runs    []struct {
				Results []struct {
					RuleID string `json:"ruleId"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		if s.Version != "2.1.0" || len(s.Runs) != 1 || len(s.Runs[0].Results) == 0 {
			t.Fatalf("unexpected sarif: %s", out)
		}
	})
	t.Run("junit", func(t *testing.T) {
		_, out, _ := run(t, "", "check", "-o", "junit", path)
		var v struct {
			XMLName xml.Name
			Suites  []struct {
				Failures int `xml:"failures,attr"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("junit: %v\n%s", err, out)
		}
		if len(v.Suites) != 1 || v.Suites[0].Failures == 0 {
			t.Fatalf("unexpected junit: %s", out)
		}
	})
	t.Run("github", func(t *testing.T) {
		_, out, _ := run(t, "", "check", "-o", "github", path)
		if !strings.Contains(out, "::error file=") || !strings.Contains(out, "title=ZD003") {
			t.Fatalf("unexpected github output: %s", out)
		}
	})
}

func TestStdinAndNamespace(t *testing.T) {
	noNS := strings.ReplaceAll(risky, ", namespace: shop", "")
	noNS = strings.ReplaceAll(noNS, "  namespace: shop\n", "")
	_, out, _ := run(t, noNS, "check", "-o", "json", "-n", "team-a", "-")
	if !strings.Contains(out, `"namespace": "team-a"`) || !strings.Contains(out, `"file": "<stdin>"`) {
		t.Fatalf("objects from stdin did not land in -n's namespace:\n%s", out)
	}
}

func TestNoArgumentsChecksCurrentDirectory(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{"deep/nested/app.yaml": risky, "values.yaml": "replicaCount: 2\n"})
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	code, out, _ := run(t, "", "check", "-o", "json")
	if code != ExitFindings || !strings.Contains(out, "deep/nested/app.yaml") || !strings.Contains(out, `"skipped": 1`) {
		t.Fatalf("exit %d; want findings from the nested file and the values file skipped:\n%s", code, out)
	}
}

func TestSuppressionAndConfig(t *testing.T) {
	suppressed := strings.Replace(risky, "    metadata: {labels: {app: web}}", "    metadata:\n      labels: {app: web}\n      annotations: {zerodrop.dev/ignore: \"ZD003,ZD005\", zerodrop.dev/ignore-reason: \"drains in-app\"}", 1)
	dir := testutil.WriteTree(t, map[string]string{"app.yaml": suppressed, ".zerodrop.yaml": "rules:\n  ZD012: off\n  ZD006: error\nkubeVersion: \"1.29\"\n"})
	_, out, _ := run(t, "", "check", "-o", "json", "--config", filepath.Join(dir, ".zerodrop.yaml"), filepath.Join(dir, "app.yaml"))
	var res struct {
		Findings []struct {
			Rule        string `json:"rule"`
			Severity    string `json:"severity"`
			Suppressed  bool   `json:"suppressed"`
			Suppression *struct {
				By     string `json:"by"`
				Reason string `json:"reason"`
			} `json:"suppression"`
		} `json:"findings"`
		Assumptions []string `json:"assumptions"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, f := range res.Findings {
		state := f.Severity
		if f.Suppressed {
			state = "suppressed by " + f.Suppression.By
		}
		seen[f.Rule] = state
	}
	if seen["ZD003"] != "suppressed by annotation" || seen["ZD005"] != "suppressed by annotation" {
		t.Errorf("annotation suppression not applied: %v", seen)
	}
	if seen["ZD012"] != "suppressed by config" {
		t.Errorf("config did not disable ZD012: %v", seen)
	}
	if seen["ZD006"] != "error" {
		t.Errorf("config did not re-grade ZD006: %v", seen)
	}
	for _, a := range res.Assumptions {
		if strings.Contains(a, "assumed") && strings.Contains(a, "Kubernetes") {
			t.Errorf("kubeVersion from config ignored: %v", res.Assumptions)
		}
	}
}

func TestRulesAndExplain(t *testing.T) {
	code, out, _ := run(t, "", "rules")
	if code != 0 || !strings.Contains(out, "ZD001") || !strings.Contains(out, "ZD013") {
		t.Fatalf("rules: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "explain", "prestop")
	if code != 0 || !strings.Contains(out, "ZD003") {
		t.Fatalf("explain by name: exit %d\n%s", code, out)
	}
	// The timing topic: every delay as a range, with the source of each end,
	// and a profile that widens one.
	code, out, _ = run(t, "", "explain", "timing")
	if code != 0 || !strings.Contains(out, "| `deregisterPropagation` | 5–15 | 5–15 | 120–180 |") || !strings.Contains(out, "aws-load-balancer-controller#2366") {
		t.Fatalf("explain timing: exit %d\n%s", code, out)
	}
	prof := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(prof, []byte("presets:\n  NLB/ip:\n    deregisterPropagation: {low: 120, high: 300}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "", "explain", "timing", "--profile", prof)
	if code != 0 || !strings.Contains(out, "| 5–15 | 5–15 | 120–300 | 120–180 |") || !strings.Contains(out, "set in "+prof) {
		t.Fatalf("explain timing --profile: exit %d\n%s", code, out)
	}
}

func TestLongestRequestFlag(t *testing.T) {
	// A 25 s preStop and a 40 s grace period behind an ALB: enough for a
	// 15 s longest request, not for 60 s. The flag declares the value, so
	// the ZD004 finding is a warning, not an info.
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 40
      containers:
        - name: web
          image: example/web:1
          ports: [{name: http, containerPort: 8080}]
          readinessProbe: {httpGet: {path: /, port: http}}
          lifecycle: {preStop: {sleep: {seconds: 25}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {alb.ingress.kubernetes.io/target-type: ip}
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {name: http}}}
`
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flag string
		want string
	}{{"15s", ""}, {"1m", "warning ZD004"}} {
		_, out, _ := run(t, "", "check", "--rules", "ZD004", "--longest-request", tc.flag, path)
		if tc.want == "" && strings.Contains(out, "ZD004") || tc.want != "" && !strings.Contains(out, tc.want) {
			t.Errorf("--longest-request %s: want %q:\n%s", tc.flag, tc.want, out)
		}
	}
}

func TestKustomize(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{
		"base/app.yaml":           risky,
		"base/kustomization.yaml": "resources: [app.yaml]\n",
		"prod/kustomization.yaml": "resources: [../base]\nnamePrefix: prod-\n",
	})
	code, out, errOut := run(t, "", "check", "-o", "json", "-k", filepath.Join(dir, "prod"))
	if code != ExitFindings || !strings.Contains(out, `"name": "prod-web"`) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, _, _ = run(t, "", "check", "-k", filepath.Join(dir, "missing"))
	if code != ExitInput {
		t.Fatalf("missing kustomization: exit %d, want %d", code, ExitInput)
	}
}

func TestProfileFile(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{
		"app.yaml":     risky,
		"profile.yaml": "presets:\n  ALB/ip:\n    deregisterPropagation: 40\n",
		"bad.yaml":     "presets:\n  ALB/ip:\n    deregisterPropagaton: 40\n",
	})
	_, out, _ := run(t, "", "check", "-o", "json", "--profile", filepath.Join(dir, "profile.yaml"), filepath.Join(dir, "app.yaml"))
	if !strings.Contains(out, "preStop: {sleep: {seconds: 50}}") {
		t.Fatalf("profile did not change the required preStop (5 + 40 + 5 = 50):\n%s", out)
	}
	code, _, errOut := run(t, "", "check", "--profile", filepath.Join(dir, "bad.yaml"), filepath.Join(dir, "app.yaml"))
	if code != ExitInput || !strings.Contains(errOut, "deregisterPropagaton") {
		t.Fatalf("misspelt profile key: exit %d, stderr %q", code, errOut)
	}
}
