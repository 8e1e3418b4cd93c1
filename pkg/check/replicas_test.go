package check_test

import (
	"os"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// The golden cases (testdata/rules/ZD0*_hpa_*) say which findings an
// autoscaler's range changes; these tests check that the findings say they
// rest on it, with the count judged and where it comes from.

func caseFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("testdata/rules/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestHPARangeInMessagesAndEvidence(t *testing.T) {
	for _, tc := range []struct {
		file, rule, message string
		replicas            int64
		detail              string
	}{
		{"ZD006_hpa_min_replicas_equal_min_available", "ZD006",
			"allows no voluntary eviction for its 2 selected replicas: node drains and cluster upgrades hang on these pods until someone deletes them by hand (and then without any protection). HPA web keeps 2–10 replicas; judged at minReplicas 2.",
			2, "minReplicas of the autoscaled workloads, spec.replicas of the others"},
		{"ZD006_hpa_scales_up_without_pdb", "ZD006",
			"runs up to 8 replicas behind a Service but no PodDisruptionBudget selects them: a node drain or cluster upgrade may evict all of them at once, leaving nothing to serve. HPA web keeps 1–8 replicas; judged at maxReplicas 8.",
			8, "HorizontalPodAutoscaler web (minReplicas 1, maxReplicas 8)"},
		{"ZD010_hpa_min_one_max_unavailable_one", "ZD010",
			"allows 1 of its 1 replicas to be unavailable, so every old pod is deleted at once. ALB (ip targets) via Ingress/web in shop stops sending to them 5–20s after deletion, while the new pods need start-up, readiness and 20–35s to register and pass health checks: the target group holds only draining and initial targets, and requests fail (no target; clients get 502, 503 or 504). HPA web keeps 1–4 replicas; judged at minReplicas 1.",
			1, "HorizontalPodAutoscaler web (minReplicas 1, maxReplicas 4)"},
		{"ZD012_hpa_min_one", "ZD012",
			"HPA web keeps 1–6 replicas; judged at minReplicas 1.",
			1, "HorizontalPodAutoscaler web (minReplicas 1, maxReplicas 6)"},
		{"ZD013_hpa_max_replicas_past_threshold", "ZD013",
			"fronts 400 pods through ALB (ip targets) via Ingress/web in shop; past 250 endpoints per Service, kube-proxy programming on every node slows and lags pod changes, though the load balancer reaches pods directly. HPA web keeps 20–400 replicas; judged at maxReplicas 400.",
			400, "sum of maxReplicas of the autoscaled workloads and spec.replicas of the others"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res := analyze(t, caseFile(t, tc.file), check.Options{Only: map[string]bool{tc.rule: true}})
			f := one(t, res, tc.rule)
			if !strings.Contains(f.Message, tc.message) {
				t.Errorf("message:\n%s\nwant it to contain:\n%s", f.Message, tc.message)
			}
			name := "replicas"
			if strings.Contains(tc.detail, "minReplicas of the autoscaled") {
				name = "selected replicas"
			}
			if e := evidence(t, f, name); e.Value != tc.replicas || e.Source != timing.FromManifest || e.Detail != tc.detail {
				t.Errorf("evidence %s = %v (%s: %s), want %d (manifest: %s)", name, e.Value, e.Source, e.Detail, tc.replicas, tc.detail)
			}
		})
	}
}

// Without an autoscaler, a left-out spec.replicas is Kubernetes' default 1,
// and the evidence says so rather than claiming the manifest wrote it.
func TestDefaultReplicasEvidence(t *testing.T) {
	res := analyze(t, strings.Replace(albIP, "  replicas: 1\n", "", 1), check.Options{Only: map[string]bool{"ZD012": true}})
	f := one(t, res, "ZD012")
	if e := evidence(t, f, "replicas"); e.Value != int64(1) || e.Source != timing.FromDefault || e.Detail != "spec.replicas unset: Kubernetes default 1" {
		t.Errorf("replicas evidence = %v (%s: %s)", e.Value, e.Source, e.Detail)
	}
	if strings.Contains(f.Message, "HPA") {
		t.Errorf("message names an autoscaler there is none of: %s", f.Message)
	}
}

// Two autoscalers of one workload: the HPA controller stops both
// (AmbiguousSelector), so the count is judged over the widest range, and a
// note says why.
func TestTwoHPAsOneWorkload(t *testing.T) {
	in := caseFile(t, "ZD012_hpa_min_one") + `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web-queue
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 30
`
	res := analyze(t, in, check.Options{Only: map[string]bool{"ZD012": true}})
	f := one(t, res, "ZD012")
	if !strings.Contains(f.Message, "Its conflicting autoscalers keep 1–30 replicas; judged at minReplicas 1.") {
		t.Errorf("message: %s", f.Message)
	}
	found := false
	for _, n := range res.Notes {
		if n.Ref.Name == "web" && strings.Contains(n.Message, "HorizontalPodAutoscaler web and HorizontalPodAutoscaler web-queue") && strings.Contains(n.Message, "AmbiguousSelector") {
			found = true
		}
	}
	if !found {
		t.Errorf("no note on the conflicting autoscalers: %+v", res.Notes)
	}
}
