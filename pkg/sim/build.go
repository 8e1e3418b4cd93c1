package sim

import (
	"fmt"
	"math"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Case is one workload behind one load balancer, ready to simulate.
type Case struct {
	// Workload names it the way reports do: "Deployment/web in shop".
	Workload string
	// Exposure describes the load balancer: "ALB (ip targets) via Ingress/web in shop".
	Exposure string
	Params   Params
	// Notes say what the manifests did not and what was assumed.
	Notes []string
	// Skip, when set, says why the case cannot be simulated.
	Skip string
}

// BuildOptions are the settings shared with check.
type BuildOptions struct {
	// Namespace is where objects without one go.
	Namespace string
	Timing    *timing.Profiles
	// KubeVersion decides which API versions are served (a policy/v1beta1
	// budget is ignored from 1.25) and whether the native preStop sleep
	// exists (1.30).
	KubeVersion rules.KubeVersion
}

// Cases reads loaded manifests the way check does (inventory, graph,
// exposures, timing) and returns one case per exposed workload and load
// balancer, in input order.
func Cases(lr *load.Result, opts BuildOptions) []Case {
	if opts.Timing == nil {
		opts.Timing = timing.Default()
	}
	if opts.KubeVersion.Major == 0 {
		opts.KubeVersion = rules.DefaultKubeVersion
	}
	inv := inventory.Build(lr.Objects, opts.Namespace)
	g := graph.Build(inv)
	var out []Case
	for _, e := range exposure.Find(g) {
		for _, w := range e.Workloads {
			out = append(out, build(g, e, w, opts))
		}
	}
	return out
}

// ELB ranges for health checks: values outside make the ELB API refuse the
// target group, so the controller's reconcile fails.
const (
	minInterval, maxInterval   = 5, 300
	minTimeout, maxTimeout     = 2, 120
	minThreshold, maxThreshold = 2, 10
	maxCLBTimeout              = 60
)

func build(g *graph.Graph, e *exposure.Exposure, w *inventory.Workload, opts BuildOptions) Case {
	c := Case{Workload: w.Ref.String(), Exposure: e.Describe()}
	note := func(format string, args ...any) { c.Notes = append(c.Notes, fmt.Sprintf(format, args...)) }
	p := Default()
	p.LB = e.LB
	tt := e.TargetType.Value
	p.TargetType = tt
	if tt != timing.TargetIP && tt != timing.TargetInstance {
		p.TargetType = timing.TargetInstance
		p.NoTargets = true
		note("target type %q is refused by the controller: the load balancer never gets a target", tt)
	}
	p.FromProfile(opts.Timing.For(e.LB, p.TargetType))
	p.HealthInterval = float64(e.Interval.Seconds)
	p.HealthyThreshold = int(e.HealthyThreshold.Seconds)
	p.UnhealthyThreshold = int(e.UnhealthyThreshold.Seconds)
	p.DeregistrationDelay = float64(e.DeregistrationDelay.Seconds)
	switch e.LB {
	case timing.NLB:
		p.IdleTimeout = 350
	default:
		p.IdleTimeout = 60
	}
	if why := reconcileRefused(e); why != "" {
		p.Frozen = true
		note("the ELB API refuses this health check (%s): the controller's reconcile fails and the target group keeps the targets it had", why)
	}
	// Keep the simulation running when a value is out of the range it
	// can handle; the note says the load balancer would refuse it anyway.
	p.HealthInterval = max(p.HealthInterval, 1)
	p.HealthyThreshold = max(p.HealthyThreshold, 1)
	p.UnhealthyThreshold = max(p.UnhealthyThreshold, 1)
	if e.LB == timing.ALB && tt == timing.TargetInstance && e.Service != nil && e.Service.Spec.Type == corev1.ServiceTypeClusterIP {
		p.NoTargets = true
		note("instance targets need a node port, and %s is ClusterIP: the controller cannot build the target group", e.Service.Ref)
	}
	if e.LocalTraffic && p.TargetType == timing.TargetInstance {
		note("externalTrafficPolicy: Local is modelled as Cluster: per-node health checks are not simulated")
	}
	if e.GateCapable() {
		if ns := g.Namespace(w.Namespace); ns != nil && ns.Labels[exposure.GateLabel] == "enabled" {
			p.Gate = true
		} else if ns == nil {
			note("namespace %s is not in the input: pods are assumed to get no readiness gate", w.Namespace)
		}
	}

	// Workload.
	if w.PerNode || w.Kind == "Pod" {
		c.Skip = fmt.Sprintf("%s is not simulated (only Deployments, ReplicaSets, StatefulSets and Argo Rollouts)", w.Kind)
	}
	p.Replicas = int(w.Replicas)
	p.MinReadySeconds = float64(w.MinReadySeconds)
	p.ProgressDeadline = float64(w.ProgressDeadline)
	switch w.Strategy.Type {
	case "Recreate":
		p.Strategy = "Recreate"
	case "RollingUpdate", "Canary":
		p.Strategy = "RollingUpdate"
		p.MaxSurge, p.MaxUnavailable = w.Strategy.MaxSurge, w.Strategy.MaxUnavailable
		if w.Kind == "StatefulSet" {
			note("a StatefulSet is modelled as a rolling update without surge; pod order is not")
		}
		if w.Strategy.Type == "Canary" {
			note("an Argo Rollouts canary is modelled as a Deployment rolling update without its steps")
		}
	default:
		p.Strategy = "RollingUpdate"
		zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
		p.MaxSurge, p.MaxUnavailable = &zero, &one
		note("strategy %s is modelled as a rolling update of one pod at a time", w.Strategy.Type)
	}

	// The serving container.
	spec := &w.Template.Spec
	var ctr *corev1.Container
	if e.Port != nil {
		tp := podspec.TargetPort(e.Port)
		if cs := podspec.ServingContainers(spec, tp); len(cs) > 0 {
			ctr = cs[0]
		} else if tp.Type == intstr.String {
			p.NoTargets = true
			note("targetPort %q names no container port: the pods are never endpoints of the Service", tp.StrVal)
		}
	}
	if ctr == nil {
		for i := range spec.Containers {
			if len(spec.Containers[i].Ports) > 0 {
				ctr = &spec.Containers[i]
				break
			}
		}
	}
	if ctr == nil && len(spec.Containers) > 0 {
		ctr = &spec.Containers[0]
	}
	grace, _ := podspec.Grace(spec)
	p.Grace = float64(grace)
	p.Probe, p.PreStop = nil, 0
	if ctr != nil {
		if rp := ctr.ReadinessProbe; rp != nil {
			p.Probe = &Probe{InitialDelay: float64(rp.InitialDelaySeconds), Period: float64(orDefault(rp.PeriodSeconds, 10)),
				SuccessThreshold: int(orDefault(rp.SuccessThreshold, 1)), FailureThreshold: int(orDefault(rp.FailureThreshold, 3))}
		}
		ps := podspec.ReadPreStop(ctr)
		switch {
		case !ps.Present:
		case !ps.Known:
			note("container %s's preStop %s hook has no duration zerodrop can read: assumed to end at once", ctr.Name, ps.Handler)
		case ps.Handler == "sleep" && !opts.KubeVersion.AtLeast(1, 30):
			note("the native preStop sleep needs Kubernetes 1.30; on %s the pod gets no delay", opts.KubeVersion)
		default:
			p.PreStop = float64(ps.Seconds)
		}
		switch kind, _ := podspec.ClassifyEntrypoint(ctr); kind {
		case podspec.Compound, podspec.Backgrounded:
			p.App = AppIgnore
			note("container %s starts its app from a shell that keeps SIGTERM from it: the app serves on until SIGKILL", ctr.Name)
		}
	}

	// Budget.
	for _, b := range g.WorkloadPDBs[w] {
		if b.APIVersion == "policy/v1beta1" && opts.KubeVersion.AtLeast(1, 25) {
			note("%s is policy/v1beta1, not served on %s: no budget protects the pods", b.Ref, opts.KubeVersion)
			continue
		}
		p.PDB = &PDB{MinAvailable: b.Spec.MinAvailable, MaxUnavailable: b.Spec.MaxUnavailable}
		break
	}
	p.Nodes = max(3, int(math.Ceil(float64(p.Replicas)/20)))
	p.DrainNodes = p.Nodes
	p.ScaleTo = p.Replicas / 2
	return c.with(p)
}

func (c Case) with(p Params) Case { c.Params = p; return c }

func orDefault(v, d int32) int32 {
	if v == 0 {
		return d
	}
	return v
}

// reconcileRefused says which health-check value the ELB API refuses, if
// any (only values written in annotations; defaults are valid).
func reconcileRefused(e *exposure.Exposure) string {
	var bad []string
	chk := func(v timing.Value, lo, hi int64) {
		if v.Source == timing.FromAnnotation && (v.Seconds < lo || v.Seconds > hi) {
			bad = append(bad, fmt.Sprintf("%s %d outside %d–%d", v.Name, v.Seconds, lo, hi))
		}
	}
	tmax := int64(maxTimeout)
	if e.LB == timing.CLB {
		tmax = maxCLBTimeout
	}
	chk(e.Interval, minInterval, maxInterval)
	chk(e.Timeout, minTimeout, tmax)
	chk(e.HealthyThreshold, minThreshold, maxThreshold)
	chk(e.UnhealthyThreshold, minThreshold, maxThreshold)
	if e.LB != timing.NLB && e.Timeout.Seconds >= e.Interval.Seconds {
		bad = append(bad, "timeout not below the interval")
	}
	if e.LB == timing.NLB && e.Controller == exposure.InTree && e.HealthyThreshold.Seconds != e.UnhealthyThreshold.Seconds {
		bad = append(bad, "unequal thresholds on an in-tree NLB")
	}
	return strings.Join(bad, "; ")
}
