package graph

import (
	"testing"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
)

func buildGraph(t *testing.T, src string) *Graph {
	t.Helper()
	res := load.Bytes("test.yaml", []byte(src), load.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("load errors: %v", res.Errors)
	}
	inv := inventory.Build(res.Objects, "shop")
	if len(inv.Errors) > 0 {
		t.Fatalf("inventory errors: %v", inv.Errors)
	}
	return Build(inv)
}

func workloadNamed(t *testing.T, g *Graph, kind, name string) *inventory.Workload {
	t.Helper()
	for _, w := range g.Inv.Workloads {
		if w.Kind == kind && w.Name == name {
			return w
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

const workloads = `apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: db}]}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: front}
spec:
  replicas: 2
  selector: {matchLabels: {app: front}}
  template: {metadata: {labels: {app: front}}, spec: {containers: [{name: front, image: front}]}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: agent}]}}
`

func TestReplicas(t *testing.T) {
	g := buildGraph(t, workloads+`---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 4
  maxReplicas: 12
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: front}
spec:
  scaleTargetRef: {apiVersion: example.com/v1, kind: Rollout, name: front}
  maxReplicas: 5
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: agent}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: DaemonSet, name: agent}
  maxReplicas: 5
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: gone}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
  minReplicas: 0
  maxReplicas: 5
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: other}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 50
`)
	for _, tc := range []struct {
		kind, name string
		min, max   int32
		hpa        string
		defaulted  bool
		source     string
	}{
		// An apps/v1 target scales an extensions/v1beta1 Deployment: one
		// object to the API server. The HPA's range replaces spec.replicas;
		// the autoscaler of the same name in another namespace is not it.
		{"Deployment", "web", 4, 12, "web", false, "HorizontalPodAutoscaler web (minReplicas 4, maxReplicas 12)"},
		{"StatefulSet", "db", 1, 1, "", true, "spec.replicas unset: Kubernetes default 1"},
		// A Rollout target of another group is not the Argo Rollout.
		{"Rollout", "front", 2, 2, "", false, "spec.replicas"},
		// A DaemonSet cannot be scaled; its count is its nodes'.
		{"DaemonSet", "agent", 1, 1, "", false, "spec.replicas"},
	} {
		w := workloadNamed(t, g, tc.kind, tc.name)
		r := g.Replicas(w)
		hpa := ""
		if r.HPA != nil {
			hpa = r.HPA.Name
		}
		if r.Min != tc.min || r.Max != tc.max || hpa != tc.hpa || r.Defaulted != tc.defaulted || r.Source() != tc.source {
			t.Errorf("%s %s: %d–%d hpa %q defaulted %v source %q, want %d–%d hpa %q defaulted %v source %q",
				tc.kind, tc.name, r.Min, r.Max, hpa, r.Defaulted, r.Source(), tc.min, tc.max, tc.hpa, tc.defaulted, tc.source)
		}
	}
	var unmatched []string
	for _, h := range g.UnmatchedHPAs {
		unmatched = append(unmatched, h.Namespace+"/"+h.Name)
	}
	if len(unmatched) != 3 || unmatched[0] != "shop/front" || unmatched[1] != "shop/gone" || unmatched[2] != "other/web" {
		t.Errorf("unmatched autoscalers = %v, want shop/front, shop/gone, other/web (a DaemonSet target is neither)", unmatched)
	}
	if lo, hi := HPARange(g.UnmatchedHPAs[1]); lo != 1 || hi != 5 {
		t.Errorf("scale-to-zero range = %d–%d, want 1–5", lo, hi)
	}
	if len(g.Notes) != 0 {
		t.Errorf("notes: %+v", g.Notes)
	}
	web := g.Replicas(workloadNamed(t, g, "Deployment", "web"))
	if got, want := web.JudgedAt(false), "HPA web keeps 4–12 replicas; judged at minReplicas 4"; got != want {
		t.Errorf("JudgedAt(min) = %q, want %q", got, want)
	}
	if got, want := web.JudgedAt(true), "HPA web keeps 4–12 replicas; judged at maxReplicas 12"; got != want {
		t.Errorf("JudgedAt(max) = %q, want %q", got, want)
	}
	if got := g.Replicas(workloadNamed(t, g, "StatefulSet", "db")).JudgedAt(false); got != "" {
		t.Errorf("JudgedAt without an autoscaler = %q", got)
	}
}
