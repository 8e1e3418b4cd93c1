package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// liveScale compares the live endpoint count of exposed Services with the
// scalability threshold: the replicas in the manifests may have been scaled
// since.
func liveScale(p *Pass, c *Cluster) {
	done := map[*inventory.Service]bool{}
	for _, e := range p.Exposures {
		if e.Service == nil || done[e.Service] || e.TargetType.Value != timing.TargetIP || e.Service.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		done[e.Service] = true
		// The most pods the manifests allow (an autoscaler's maxReplicas):
		// more live endpoints than that means the count changed since.
		var replicas int32
		for _, w := range e.Workloads {
			replicas += p.Graph.Replicas(w).Max
		}
		n := c.Endpoints[e.Service.Namespace+"/"+e.Service.Name]
		if n > EndpointsPerService && int(replicas) <= EndpointsPerService {
			p.Report(&e.Service.Meta, "", finding.Warning,
				fmt.Sprintf("%s has %d live endpoints (its workloads ask for at most %d replicas: scaled since?), past the %d endpoints per Service threshold; kube-proxy on every node reprograms on every pod change and lags the rollout.", e.Service.Ref, n, replicas, EndpointsPerService),
				"make the Service headless (clusterIP: None): ip targets do not need a cluster IP",
				KeyEndpoints.Fact(int64(n), timing.FromManifest, "live EndpointSlices"))
		}
	}
}
