package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ReadinessProbe flags serving containers that turn Ready before the app
// listens: without a readiness probe a container is Ready as soon as it
// starts, and gets traffic it refuses.
var ReadinessProbe = register(&Rule{
	ID: "ZD005", Name: "readiness-probe", Severity: finding.Error, Scope: Selected,
	Title: "Serving container without a readiness probe on the served port",
	Run:   runReadinessProbe,
})

func runReadinessProbe(p *Pass) {
	for _, w := range p.SelectedWorkloads() {
		exposed := len(p.ExposuresOf(w)) > 0
		svcs := p.Graph.WorkloadServices[w]
		for _, c := range servingContainers(w, servicePorts(svcs)) {
			rp := c.ReadinessProbe
			if rp == nil {
				sev := finding.Warning
				behind := svcs[0].Ref.String()
				msg := fmt.Sprintf("Container %s has no readinessProbe: it is Ready the moment it starts, so %s sends it requests before the app listens (refused or reset), and a rollout moves on before the new pods work.", c.Name, behind)
				switch {
				case exposed && allGated(p, w):
					// The gate holds the pod out of the load balancer
					// and out of Service endpoints until the load
					// balancer's health check passes: rollouts are safe.
					msg = fmt.Sprintf("Container %s has no readinessProbe. Behind %s the readiness gate keeps the pod out of traffic until the load balancer's health check passes, so rollouts are safe; but nothing takes the container out of the Service's endpoints when the app stops answering later, and in-cluster clients keep calling it.", c.Name, p.Slowest(w).Describe())
				case exposed && allIP(p, w):
					// The load balancer sends to a new target only once its
					// health check passes, which needs the app listening;
					// what is left is a pod counted available too early,
					// ZD002's error without the gate.
					msg = fmt.Sprintf("Container %s has no readinessProbe: it is Ready the moment it starts. Behind %s the load balancer sends a new pod requests only once its health check passes, when the app listens; but on a rollout or drain the pod counts as available before it serves, so old pods go earlier (without the readiness gate, see ZD002), in-cluster clients of %s are sent requests before the app listens, and nothing takes the container out of the endpoints when the app stops answering later.", c.Name, p.Slowest(w).Describe(), behind)
				case exposed:
					sev = finding.Error
					e := p.Slowest(w)
					msg = fmt.Sprintf("Container %s has no readinessProbe: it is Ready the moment it starts, so on every rollout and drain (and scale-out) %s sends the new pods requests before the app listens, which are refused or reset (%s); and the rollout or drain counts them available and takes the old pods away before the new ones work.", c.Name, e.Describe(), failureWording(e.LB))
				}
				p.ReportPatch(probePatch(p, w, c, servicePorts(svcs)), podMeta(w), c.Name, sev, msg,
					fmt.Sprintf("add a readinessProbe to container %s on the port the Service targets (httpGet on a health path, or tcpSocket)", c.Name),
					finding.Fact("readinessProbe", "none", "manifest", "container "+c.Name))
				continue
			}
			if port, ok := probePort(rp); ok && !servesPort(c, port) && declared(c) {
				p.Report(podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s's readinessProbe checks port %s, which the container does not declare; readiness then says nothing about the port that serves traffic.", c.Name, port.String()),
					"point the readinessProbe at a declared container port (by number or name)",
					finding.Fact("probe port", port.String(), "manifest", "container "+c.Name+" readinessProbe"))
			}
			if lp := c.LivenessProbe; lp != nil {
				// Compare how long each probe takes to give up, with the
				// Kubernetes defaults for unset fields (3 failures, 10 s apart).
				liveFails, readyFails := failAfter(c.Name, "liveness", lp), failAfter(c.Name, "readiness", rp)
				if equality.Semantic.DeepEqual(lp.ProbeHandler, rp.ProbeHandler) && liveFails.Seconds <= readyFails.Seconds {
					p.Report(podMeta(w), c.Name, finding.Warning,
						fmt.Sprintf("Container %s's livenessProbe is the same check as its readinessProbe and gives up no later (after %ds, readiness after %ds): an overloaded or starting app is restarted instead of taken out of rotation, dropping its in-flight requests.", c.Name, liveFails.Seconds, readyFails.Seconds),
						"make the livenessProbe more tolerant than readiness (higher failureThreshold or period), or check only that the process is alive",
						finding.Seconds(liveFails), finding.Seconds(readyFails))
				} else if lp.FailureThreshold == 1 {
					p.Report(podMeta(w), c.Name, finding.Warning,
						fmt.Sprintf("Container %s's livenessProbe restarts it after a single failed check; one slow response kills the container and its in-flight requests.", c.Name),
						"set livenessProbe.failureThreshold to 3 or more",
						finding.Fact("liveness failureThreshold", int64(1), "manifest", "container "+c.Name))
				}
			}
		}
	}
}

func threshold(p *corev1.Probe) int64 {
	if p.FailureThreshold == 0 {
		return 3
	}
	return int64(p.FailureThreshold)
}

func period(p *corev1.Probe) int64 {
	if p.PeriodSeconds == 0 {
		return 10
	}
	return int64(p.PeriodSeconds)
}

// failAfter is how long a probe takes to give up on a container that stopped
// answering: failureThreshold × periodSeconds, defaults applied.
func failAfter(container, kind string, p *corev1.Probe) timing.Value {
	src := timing.FromManifest
	if p.FailureThreshold == 0 || p.PeriodSeconds == 0 {
		src = timing.FromDefault
	}
	return timing.Value{Name: kind + " gives up after", Seconds: threshold(p) * period(p), Source: src,
		Detail: fmt.Sprintf("container %s %sProbe: failureThreshold %d × periodSeconds %d (Kubernetes defaults 3 and 10 where unset)", container, kind, threshold(p), period(p))}
}

func probePort(p *corev1.Probe) (intstr.IntOrString, bool) {
	switch {
	case p.HTTPGet != nil:
		return p.HTTPGet.Port, true
	case p.TCPSocket != nil:
		return p.TCPSocket.Port, true
	case p.GRPC != nil:
		return intstr.FromInt32(p.GRPC.Port), true
	}
	return intstr.IntOrString{}, false
}

// servesPort reports whether port names or numbers one of c's ports.
func servesPort(c *inventory.Container, port intstr.IntOrString) bool {
	for _, cp := range c.Ports {
		if (port.Type == intstr.String && cp.Name == port.StrVal) || (port.Type == intstr.Int && cp.ContainerPort == port.IntVal) {
			return true
		}
	}
	return false
}

func declared(c *inventory.Container) bool { return len(c.Ports) > 0 }

// probePatch adds a readiness probe on the port the Service targets:
// tcpSocket, or httpGet when a probe path is given.
func probePatch(p *Pass, w *inventory.Workload, c *inventory.Container, ports []*corev1.ServicePort) *finding.Patch {
	port := servedPort(c, ports)
	if port == nil {
		return nil // the container declares no port to probe
	}
	probe := map[string]any{"tcpSocket": map[string]any{"port": port}, "periodSeconds": int64(5), "failureThreshold": int64(2)}
	what := fmt.Sprintf("container %s: readinessProbe tcpSocket on port %v", c.Name, port)
	if p.ProbePath != "" {
		probe = map[string]any{"httpGet": map[string]any{"path": p.ProbePath, "port": port}, "periodSeconds": int64(5), "failureThreshold": int64(2)}
		what = fmt.Sprintf("container %s: readinessProbe httpGet %s on port %v", c.Name, p.ProbePath, port)
	}
	return containerPatch(w, c.Name, map[string]any{"readinessProbe": probe}, what)
}

// allGated tells whether every load balancer in front of w holds its pods
// behind a readiness gate (ip targets in a namespace labelled for it).
// allIP reports whether every load balancer in front of w sends to pod IPs.
func allIP(p *Pass, w *inventory.Workload) bool {
	for _, e := range p.ExposuresOf(w) {
		if e.TargetType.Value != timing.TargetIP {
			return false
		}
	}
	return true
}

func allGated(p *Pass, w *inventory.Workload) bool {
	for _, e := range p.ExposuresOf(w) {
		if !e.GateCapable() || !gateLabelled(p, w) {
			return false
		}
	}
	return true
}
