package audit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/audit"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The audit reads HorizontalPodAutoscalers: a Deployment created with one
// replica that an autoscaler keeps at 3 to 6 is judged at 3, not as a
// single replica.
func TestAutoscalerSetsReplicaRange(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	exposedApp(t, c, ns, "web", 1)
	minReplicas := int32(3)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    &minReplicas, MaxReplicas: 6,
		},
	}
	if _, err := c.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := audit.Run(context.Background(), clients(t, env.RESTConfig()), audit.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("audit errors: %+v", res.Errors)
	}
	got := findings(res, "ZD012")
	if len(got) != 1 || strings.Contains(got[0], "single replica") || !strings.Contains(got[0], "HPA web keeps 3–6 replicas; judged at minReplicas 3.") {
		t.Errorf("want one ZD012 on the spread of 3 replicas, judged at the autoscaler's minReplicas; got %q", got)
	}
}
