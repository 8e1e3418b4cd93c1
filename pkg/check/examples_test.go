package check_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// TestSeedExamples holds the examples to their promise: the write-up's
// first draft shows at least the four problems it is about, and the version
// with every recommendation applied has no error or warning.
func TestSeedExamples(t *testing.T) {
	naive := check.Run(context.Background(), check.Options{Paths: []string{"../../examples/seed/naive"}, Load: load.Options{Recursive: true}})
	if len(naive.Errors) > 0 {
		t.Fatalf("naive: input errors %+v", naive.Errors)
	}
	got := map[string]bool{}
	for _, f := range naive.Findings {
		got[f.Rule] = true
	}
	for _, want := range []string{"ZD001", "ZD003", "ZD005", "ZD006"} {
		if !got[want] {
			t.Errorf("naive: no %s finding", want)
		}
	}
	rec := check.Run(context.Background(), check.Options{Paths: []string{"../../examples/seed/recommended"}, Load: load.Options{Recursive: true}})
	if len(rec.Errors) > 0 {
		t.Fatalf("recommended: input errors %+v", rec.Errors)
	}
	for _, f := range rec.Findings {
		if f.Severity >= finding.Warning {
			t.Errorf("recommended: %s %s %s: %s", f.Severity, f.Rule, f.Object, f.Message)
		}
	}
	if rec.Summary.Exposures == 0 {
		t.Error("recommended: the ALB exposure was not found")
	}
}

// readDir concatenates the YAML files of a directory, skipping some, and
// applies string replacements (old, new, ...) that must each match.
func readDir(t *testing.T, dir string, skip []string, repl ...string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".yaml") || slices.Contains(skip, e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	s := strings.Join(docs, "\n---\n")
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("%s: %q not found", dir, repl[i])
		}
		s = strings.Replace(s, repl[i], repl[i+1], 1)
	}
	return s
}

// TestSeedRecommendations checks the write-up's own numbers: an ALB with ip
// targets, the gate, preStop `sh -c "sleep 180"`, grace 200 and
// deregistration_delay 30; an NLB with ip targets, the gate and preStop
// `sh -c "sleep 420"` with the grace period above it and the default delay.
// They check clean at warning level (what rests on zerodrop's default
// longest request is an info). The naive configurations check with errors.
func TestSeedRecommendations(t *testing.T) {
	const rec = "../../examples/seed/recommended"
	shellSleep := func(secs string) string {
		return "preStop:\n              exec:\n                command: [\"/bin/sh\", \"-c\", \"sleep " + secs + "\"]"
	}
	alb := readDir(t, rec, nil,
		"preStop:\n              sleep:\n                seconds: 25", shellSleep("180"),
		"terminationGracePeriodSeconds: 55", "terminationGracePeriodSeconds: 200",
		"deregistration_delay.timeout_seconds=45", "deregistration_delay.timeout_seconds=30")
	nlbService := `apiVersion: v1
kind: Service
metadata:
  name: echoserver-service
  namespace: echoserver
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-type: external
    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip
    service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval: "10"
    service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold: "2"
    service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold: "2"
spec:
  type: LoadBalancer
  selector: {app: echoserver}
  ports:
    - {name: http, port: 8080, targetPort: http, protocol: TCP}
`
	nlb := readDir(t, rec, []string{"ingress.yaml", "service.yaml"},
		"preStop:\n              sleep:\n                seconds: 25", shellSleep("420"),
		"terminationGracePeriodSeconds: 55", "terminationGracePeriodSeconds: 450") + "\n---\n" + nlbService
	for name, manifest := range map[string]string{"ALB": alb, "NLB": nlb} {
		res := analyze(t, manifest, check.Options{})
		if res.Summary.Exposures != 1 {
			t.Fatalf("%s: %d exposures", name, res.Summary.Exposures)
		}
		for _, f := range res.Findings {
			if f.Severity >= finding.Warning {
				t.Errorf("recommended %s: %s %s: %s", name, f.Severity, f.Rule, f.Message)
			}
		}
	}
	naiveALB := readDir(t, "../../examples/seed/naive", nil)
	naiveNLB := readDir(t, "../../examples/seed/naive", []string{"ingress.yaml", "service.yaml"}) + "\n---\n" +
		strings.Replace(nlbService, "    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip\n", "    service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: instance\n", 1)
	for name, manifest := range map[string]string{"ALB": naiveALB, "NLB": naiveNLB} {
		if res := analyze(t, manifest, check.Options{}); res.Summary.Errors == 0 {
			t.Errorf("naive %s: no error:\n%s", name, messages(res))
		}
	}
}
