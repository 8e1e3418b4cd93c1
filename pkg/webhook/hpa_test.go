package webhook

import (
	"context"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const hpaYAML = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: 3
  maxReplicas: 10
`

// cleanDeployment is deploymentYAML with what the rules ask for, and
// spec.replicas left to the autoscaler.
func cleanDeployment(t *testing.T) *unstructured.Unstructured {
	return edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
		unstructured.RemoveNestedField(u.Object, "spec", "replicas")
		_ = unstructured.SetNestedField(u.Object, int64(55), "spec", "template", "spec", "terminationGracePeriodSeconds")
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		cs[0].(map[string]any)["lifecycle"] = map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int64(25)}}}
		_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
	})
}

func cleanIngress(t *testing.T) *unstructured.Unstructured {
	return edit(obj(t, ingressYAML), func(u *unstructured.Unstructured) {
		a := u.GetAnnotations()
		a["alb.ingress.kubernetes.io/target-group-attributes"] = "deregistration_delay.timeout_seconds=40"
		u.SetAnnotations(a)
	})
}

// A Deployment whose replicas an autoscaler in the cluster sets is judged
// on the autoscaler's range: without it, the left-out spec.replicas reads
// as a single replica.
func TestAutoscalerInClusterSetsReplicas(t *testing.T) {
	base := []*unstructured.Unstructured{obj(t, namespaceYAML), obj(t, serviceYAML), cleanIngress(t), obj(t, pdbYAML)}
	resp := NewValidator(cluster(t, base...), testOptions()).Handle(context.Background(), request(t, admissionv1.Create, cleanDeployment(t), nil))
	if !hasWarning(resp.Warnings, "ZD012 topology") {
		t.Fatalf("without an autoscaler, no single-replica warning: %q", resp.Warnings)
	}
	withHPA := cluster(t, append(base, obj(t, hpaYAML))...)
	resp = NewValidator(withHPA, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, cleanDeployment(t), nil))
	if !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("with an autoscaler keeping 3–10: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
}

// Admitting an autoscaler reviews the workload it scales, on the new range.
func TestAutoscalerReviewReportsItsWorkload(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), cleanIngress(t), obj(t, pdbYAML), cleanDeployment(t))
	down := edit(obj(t, hpaYAML), func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, int64(1), "spec", "minReplicas")
	})
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, down, nil))
	if !hasWarning(resp.Warnings, "Deployment/web: ZD012 topology") {
		t.Errorf("an autoscaler that may go down to one replica: warnings %q", resp.Warnings)
	}
}
