package rules

import (
	"time"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	corev1 "k8s.io/api/core/v1"
)

// Cluster is what a running cluster shows beyond the objects the rules read
// as manifests. The auditor fills it; the rules' Live checks read it, so a
// rule's live findings are written beside its static ones.
type Cluster struct {
	// Source names the cluster (its kube context): the position of
	// findings on objects the audit read but did not list as manifests.
	Source string
	// Now is the time of the audit.
	Now time.Time
	// StuckAfter is how long a load balancer readiness gate may stay False
	// (or unset on a started pod) before it is reported.
	StuckAfter time.Duration
	// PodsOf returns the live pods, not being deleted, that a workload's
	// selector matches.
	PodsOf func(*inventory.Workload) []*corev1.Pod
	// Endpoints counts the live endpoints of each Service, keyed
	// "namespace/name", from its EndpointSlices.
	Endpoints map[string]int
	// PodWebhook names the MutatingWebhookConfiguration that holds the AWS
	// Load Balancer Controller's pod webhook (mpod.elbv2.k8s.aws), "" when
	// none was found; PodWebhookFailurePolicy is that webhook's
	// failurePolicy ("Fail" when unset).
	PodWebhook              string
	PodWebhookFailurePolicy string
}

// GateConditionPrefix starts the condition type of the AWS Load Balancer
// Controller's readiness gates.
const GateConditionPrefix = "target-health.elbv2.k8s.aws/"
