package rules

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// servingContainers returns the containers of w that serve the ports the
// exposures or Services target (podspec.Serving, shared with the simulator).
func servingContainers(w *inventory.Workload, ports []*corev1.ServicePort) []*inventory.Container {
	cs, _ := podspec.Serving(&w.Template.Spec, ports)
	return cs
}

// exposurePorts lists the Service ports the exposures of w target.
func exposurePorts(exps []*exposure.Exposure) []*corev1.ServicePort {
	var out []*corev1.ServicePort
	for _, e := range exps {
		out = append(out, e.Ports()...)
	}
	return out
}

// servicePorts lists every port of the Services that select w.
func servicePorts(svcs []*inventory.Service) []*corev1.ServicePort {
	var out []*corev1.ServicePort
	for _, s := range svcs {
		for i := range s.Spec.Ports {
			out = append(out, &s.Spec.Ports[i])
		}
	}
	return out
}

// graceValue returns the pod's grace period as evidence-ready value.
func graceValue(w *inventory.Workload) timing.Value {
	g, set := podspec.Grace(&w.Template.Spec)
	if set {
		return timing.Value{Name: string(KeyGracePeriod), Seconds: g, Source: timing.FromManifest, Detail: "spec.template.spec.terminationGracePeriodSeconds"}
	}
	return timing.Value{Name: string(KeyGracePeriod), Seconds: g, Source: timing.FromDefault, Detail: "Kubernetes default"}
}

// preStopValue returns a container's known preStop delay as a value; for a
// native sidecar that waits for the main containers, the hook it waits for.
func preStopValue(c *inventory.Container, ps podspec.PreStop) timing.Value {
	detail := "container " + c.Name + " lifecycle.preStop." + ps.Handler
	if ps.AfterMain {
		detail = "native sidecar " + c.Name + " gets SIGTERM after the main containers exit: container " + ps.From + " lifecycle.preStop." + ps.Handler
	}
	return timing.Value{Name: "preStop", Seconds: ps.Seconds, Source: timing.FromManifest, Detail: detail}
}

// lbContext is the evidence every exposure finding starts with.
func lbContext(e *exposure.Exposure) []finding.Evidence {
	return []finding.Evidence{
		KeyLoadBalancer.Fact(string(e.LB), timing.FromManifest, "via "+e.Front.Ref.String()),
		KeyTargetType.Fact(e.TargetType.Value, e.TargetType.Source, e.TargetType.Detail),
	}
}

// podMeta is where pod-template findings point: the workload.
func podMeta(w *inventory.Workload) *inventory.Meta { return &w.Meta }

// nativeSleepAvailable reports whether lifecycle.preStop.sleep can be used.
func nativeSleepAvailable(kv kubeversion.Version) bool { return kv.NativeSleep() }

// preStopFix words the preStop fix for the cluster version.
func preStopFix(kv kubeversion.Version, container string, secs int64) string {
	if nativeSleepAvailable(kv) {
		return fmt.Sprintf("add to container %s: lifecycle: {preStop: {sleep: {seconds: %d}}} (native sleep, Kubernetes %s; no shell or sleep binary needed)", container, secs, kv)
	}
	return fmt.Sprintf(`add to container %s: lifecycle: {preStop: {exec: {command: ["sleep", "%d"]}}} (the image needs a sleep binary; on Kubernetes 1.30+ use the native sleep action instead)`, container, secs)
}

// isEvictable reports workloads whose pods a node drain evicts through the
// eviction API (and so a PDB protects).
func isEvictable(w *inventory.Workload) bool {
	switch w.Kind {
	case "Deployment", "StatefulSet", "ReplicaSet", "Rollout":
		return true
	}
	return false
}

func metaOf(o *load.Object) inventory.Meta {
	return inventory.Meta{Ref: inventory.Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}, Pos: o.Pos, Object: o}
}

// failureWording is what a client of the load balancer sees when a request
// fails: HTTP errors from an ALB or CLB, resets and timeouts from an NLB,
// which passes TCP through and never answers with HTTP itself.
func failureWording(lb timing.LB) string {
	if lb == timing.NLB {
		return "clients see connection resets or timeouts"
	}
	return "clients get 502, 503 or 504"
}

// Replicas returns w's replica range (graph.Replicas): spec.replicas, or
// the range an autoscaler keeps it in.
func (p *Pass) Replicas(w *inventory.Workload) graph.Replicas { return p.Graph.Replicas(w) }

// replicasFact is the evidence for the count n a rule judged w at, naming
// where that count comes from.
func replicasFact(r graph.Replicas, n int32) finding.Evidence {
	src := timing.FromManifest
	if r.Defaulted {
		src = timing.FromDefault
	}
	return finding.Fact("replicas", int64(n), src, r.Source())
}

// judgedAt adds to a message which count an autoscaled workload was judged
// at: disruption, rollout and spread at minReplicas, scale at maxReplicas.
func judgedAt(msg string, r graph.Replicas, atMax bool) string {
	j := r.JudgedAt(atMax)
	if j == "" {
		return msg
	}
	return msg + " " + strings.ToUpper(j[:1]) + j[1:] + "."
}
