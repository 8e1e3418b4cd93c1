package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// An ALB with ip targets in front of web, in a namespace that injects the
// readiness gate.
const exposed = `apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: example/web:1
        ports: [{name: http, containerPort: 8080}]
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
  annotations: {alb.ingress.kubernetes.io/target-type: ip}
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {number: 80}}}
`

// live runs every rule's live check over the manifests and c, as the
// auditor does after the static rules.
func live(t *testing.T, c *rules.Cluster) []finding.Finding {
	t.Helper()
	lr := load.Bytes("shop.yaml", []byte(exposed), load.Options{Prepare: inventory.Preparer("")})
	var out []finding.Finding
	res := check.AnalyzeWith(lr, check.Options{}, func(m *check.Model) []finding.Finding {
		p := m.Pass.With(func(f finding.Finding) { out = append(out, f) })
		for _, r := range rules.All() {
			p.RunLive(r, c)
		}
		return nil
	})
	if len(res.Errors) > 0 {
		t.Fatalf("input errors: %+v", res.Errors)
	}
	return out
}

func TestLiveChecks(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	gate := corev1.PodConditionType(rules.GateConditionPrefix + "k8s-shop-web-0123")
	gated := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "shop", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec: corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: gate}}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: gate, Status: corev1.ConditionFalse, Reason: "Target.Timeout",
			LastTransitionTime: metav1.NewTime(now.Add(-20 * time.Minute))}}}}
	bare := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-2", Namespace: "shop"}}
	c := &rules.Cluster{Source: "ctx", Now: now, StuckAfter: 10 * time.Minute,
		PodsOf: func(w *inventory.Workload) []*corev1.Pod {
			if w.Name != "web" {
				t.Errorf("pods asked for %s", w.Ref)
			}
			return []*corev1.Pod{gated, bare}
		},
		Endpoints:  map[string]int{"shop/web": 300},
		PodWebhook: "aws-load-balancer-webhook", PodWebhookFailurePolicy: "Ignore"}
	got := live(t, c)
	want := []struct {
		rule, kind string
		sev        finding.Severity
		says       string
	}{
		{"ZD002", "Deployment", finding.Error, "1 of 2 pods of Deployment/web in shop have no readiness gate"},
		{"ZD002", "Deployment", finding.Warning, "web-1 (Target.Timeout for 20m0s"},
		{"ZD002", "MutatingWebhookConfiguration", finding.Warning, "failurePolicy Ignore"},
		{"ZD013", "Service", finding.Warning, "has 300 live endpoints (its workloads ask for at most 2 replicas"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d live findings, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		f := got[i]
		if f.Rule != w.rule || f.Object.Kind != w.kind || f.Severity != w.sev || !strings.Contains(f.Message, w.says) {
			t.Errorf("finding %d: %s %s %s %q; want %s %s %s containing %q", i, f.Rule, f.Severity, f.Object.Kind, f.Message, w.rule, w.sev, w.kind, w.says)
		}
		if f.Name != rules.Lookup(w.rule).Name || f.Fix == "" {
			t.Errorf("finding %d lacks its rule's name or a fix: %+v", i, f)
		}
	}
	if e, ok := rules.KeyEndpoints.In(got[3]); !ok || e.Value != int64(300) {
		t.Errorf("ZD013's live finding carries endpoints %v (%v)", e.Value, ok)
	}
	if got[2].File != "ctx" {
		t.Errorf("the webhook finding is at %q, want the cluster's name", got[2].File)
	}

	// A healthy cluster: every pod gated and passing, the webhook failing
	// closed, the endpoints as the manifests say.
	gated.Status.Conditions[0].Status = corev1.ConditionTrue
	c.PodsOf = func(*inventory.Workload) []*corev1.Pod { return []*corev1.Pod{gated} }
	c.Endpoints["shop/web"] = 2
	c.PodWebhookFailurePolicy = "Fail"
	if got := live(t, c); len(got) != 0 {
		t.Errorf("live findings on a healthy cluster: %+v", got)
	}
}

// The admission webhook reads the rules, not IDs: the rules that mutate
// are the preStop delay and the grace period, and their warnings say the
// numbers their findings carry.
func TestAdmission(t *testing.T) {
	var mutating []string
	for _, r := range rules.All() {
		if r.Mutates {
			mutating = append(mutating, r.ID)
		}
	}
	if strings.Join(mutating, ",") != "ZD003,ZD004" {
		t.Errorf("mutating rules %v, want ZD003 and ZD004 only (never probes)", mutating)
	}
	lr := load.Bytes("shop.yaml", []byte(exposed), load.Options{Prepare: inventory.Preparer("")})
	res := check.Analyze(lr, check.Options{})
	seen := 0
	for _, f := range res.Findings {
		r := rules.Lookup(f.Rule)
		if r.Warning == nil || f.Rule != "ZD003" {
			continue
		}
		seen++
		if got := r.Warning(f, "first"); !strings.HasPrefix(got, "first; ALB sends for ") || !strings.HasSuffix(got, "s after delete") {
			t.Errorf("ZD003 warning %q", got)
		}
	}
	if seen == 0 {
		t.Error("no ZD003 finding to warn with")
	}
}
