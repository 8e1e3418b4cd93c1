package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// Scale flags very large target sets behind a Service with a cluster IP:
// every pod change reprograms kube-proxy on every node, and past the
// scalability thresholds endpoint propagation lags behind the rollout.
var Scale = register(&Rule{
	ID: "ZD013", Name: "scale", Severity: finding.Warning, Scope: Exposed,
	Title: "Very large target set on a ClusterIP/NodePort Service, or hand-written Endpoints",
	Run:   runScale,
	Live:  liveScale,
})

// EndpointsPerService is the scalability threshold for endpoints per Service.
const EndpointsPerService = 250

func runScale(p *Pass) {
	for _, e := range p.Exposures {
		if e.Service == nil || e.TargetType.Value != timing.TargetIP || e.LB != timing.ALB {
			continue
		}
		// A scale note: judged at the most pods there may be, an
		// autoscaler's maxReplicas.
		var total int32
		msg, detail := "", "sum of spec.replicas"
		for _, w := range e.Workloads {
			r := p.Replicas(w)
			total += r.Max
			msg = judgedAt(msg, r, true)
			if r.Scaled() {
				detail = "sum of maxReplicas of the autoscaled workloads and spec.replicas of the others"
			}
		}
		if total <= EndpointsPerService || e.Service.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		p.Report(&e.Service.Meta, "", finding.Warning,
			fmt.Sprintf("%s fronts %d pods through %s; past %d endpoints per Service, kube-proxy programming on every node slows and lags pod changes, though the load balancer reaches pods directly.%s", e.Service.Ref, total, e.Describe(), EndpointsPerService, msg),
			"make the Service headless (clusterIP: None): ip targets do not need a cluster IP",
			finding.Fact("replicas", int64(total), timing.FromManifest, detail),
			finding.Fact("threshold", int64(EndpointsPerService), timing.FromDefault, "Kubernetes scalability threshold: endpoints per Service"))
	}
	for _, o := range p.Graph.Inv.Objects {
		if o.Kind == "Endpoints" && o.APIVersion == "v1" {
			// The Endpoints of a Service with a selector belong to the
			// endpoints controller (a dump of a cluster has them); only the
			// ones of a selector-less Service are written by hand.
			if s := p.Graph.Service(o.Namespace, o.Name); s != nil && len(s.Spec.Selector) > 0 {
				continue
			}
			m := metaOf(o)
			p.Report(&m, "", finding.Info,
				fmt.Sprintf("%s is written by hand with the Endpoints API, deprecated from Kubernetes 1.33. Kubernetes mirrors it into EndpointSlices, which kube-proxy and the AWS Load Balancer Controller (by default from v2.14) read, so it works for now; the mirror is one more step that can lag or be capped (1000 addresses per subset).", m.Ref),
				"write the EndpointSlice (discovery.k8s.io/v1, label kubernetes.io/service-name) yourself instead")
		}
	}
}
