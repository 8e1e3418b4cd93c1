package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/podspec"
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
	// App is what check's model says of the app: its shutdown mode and
	// longest request, each with its source (for the assumptions).
	App timing.App
	// Findings are the rule IDs of check's warnings and errors on the
	// workload and the objects in front of it (set by Analyze).
	Findings []string
	// refs are those objects.
	refs []inventory.Ref
}

// Analyze runs check's analysis of loaded manifests and returns its result
// with one case per exposed workload and load balancer, read from the same
// model the rules judged (see FromModel).
func Analyze(lr *load.Result, opts check.Options) (*check.Result, []Case) {
	var cases []Case
	res := check.AnalyzeWith(lr, opts, func(m *check.Model) []finding.Finding {
		cases = FromModel(m)
		return nil
	})
	for i := range cases {
		c := &cases[i]
		c.Findings = []string{}
		for _, f := range res.Findings {
			if !f.Suppressed && f.Severity >= finding.Warning && slices.Contains(c.refs, f.Object) && !slices.Contains(c.Findings, f.Rule) {
				c.Findings = append(c.Findings, f.Rule)
			}
		}
		slices.Sort(c.Findings)
	}
	return res, cases
}

// FromModel returns one case per exposed workload and load balancer of
// check's model, in input order. Every fact comes from the model: the
// exposures and their health checks, the timing numbers the rules use, the
// serving container (podspec.Serving), the gate (exposure.NamespaceGated)
// and the cluster version's gates.
func FromModel(m *check.Model) []Case {
	var out []Case
	for _, e := range m.Exposures {
		for _, w := range e.Workloads {
			out = append(out, build(m, e, w))
		}
	}
	return out
}

func build(m *check.Model, e *exposure.Exposure, w *inventory.Workload) Case {
	kv := m.KubeVersion
	n := m.Pass.Numbers(e)
	c := Case{Workload: w.Ref.String(), Exposure: e.Describe(), refs: []inventory.Ref{w.Ref, e.Front.Ref}}
	if e.Service != nil {
		c.refs = append(c.refs, e.Service.Ref)
	}
	for _, b := range m.Graph.WorkloadPDBs[w] {
		c.refs = append(c.refs, b.Ref)
	}
	if ns := m.Graph.Namespace(w.Namespace); ns != nil {
		c.refs = append(c.refs, ns.Ref)
	}
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
	c.App = m.Pass.App(w)
	p.FromNumbers(n, c.App)
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
	if bad := e.RefusedHealthCheck(); len(bad) > 0 {
		why := strings.Join(bad, "; ")
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
	p.LocalTraffic = e.LocalTraffic && p.TargetType == timing.TargetInstance
	p.ConnTermination = e.LB == timing.NLB && e.ConnectionTermination()
	if e.GateCapable() {
		if gated, known := exposure.NamespaceGated(m.Graph, w.Namespace); gated {
			p.Gate = true
		} else if !known {
			note("namespace %s is not in the input: pods are assumed to get no readiness gate", w.Namespace)
		}
	}

	// Workload.
	if w.PerNode || w.Kind == "Pod" {
		c.Skip = fmt.Sprintf("%s is not simulated (only Deployments, ReplicaSets, StatefulSets and Argo Rollouts)", w.Kind)
	}
	// The count a rollout, drain or scale-in starts from: the fewest the
	// workload runs (an autoscaler's minReplicas), as the rules judge it.
	r := m.Graph.Replicas(w)
	p.Replicas = int(r.Min)
	if j := r.JudgedAt(false); j != "" {
		note("%s", strings.Replace(j, "judged", "simulated", 1))
	}
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
	var ctr *inventory.Container
	if cs, resolved := podspec.Serving(spec, e.Ports()); len(cs) > 0 {
		ctr = cs[0]
		if !resolved && e.Port != nil {
			if tp := podspec.TargetPort(e.Port); tp.Type == intstr.String {
				p.NoTargets = true
				note("targetPort %q names no container port: the pods are never endpoints of the Service", tp.StrVal)
			}
		}
	}
	grace, _ := podspec.Grace(spec)
	p.Grace = float64(grace)
	p.Probe, p.PreStop = nil, 0
	if ctr != nil {
		if rp := ctr.ReadinessProbe; rp != nil {
			r := podspec.Readiness(rp)
			p.Probe = &Probe{InitialDelay: float64(r.InitialDelay), Period: float64(r.Period),
				SuccessThreshold: int(r.SuccessThreshold), FailureThreshold: int(orDefault(rp.FailureThreshold, 3))}
		}
		ps := podspec.PreStopFor(spec, ctr)
		switch {
		case !ps.Present:
		case !ps.Known:
			note("container %s's preStop %s hook has no duration zerodrop can read: assumed to end at once", ctr.Name, ps.Handler)
		case ps.Handler == "sleep" && !kv.NativeSleep():
			note("the native preStop sleep needs Kubernetes 1.30; on %s the pod gets no delay", kv)
		default:
			p.PreStop = float64(ps.Seconds)
		}
	}

	// Budget.
	for _, b := range m.Graph.WorkloadPDBs[w] {
		if b.APIVersion == "policy/v1beta1" && !kv.ServesPolicyV1beta1() {
			note("%s is policy/v1beta1, not served on %s: no budget protects the pods", b.Ref, kv)
			continue
		}
		p.PDB = &PDB{MinAvailable: b.Spec.MinAvailable, MaxUnavailable: b.Spec.MaxUnavailable}
		break
	}
	p.Nodes = DefaultNodes(&p)
	p.DrainNodes = p.Nodes
	p.ScaleTo = DefaultScaleTo(p.Replicas)
	return c.with(p)
}

func (c Case) with(p Params) Case { c.Params = p; return c }

func orDefault(v, d int32) int32 {
	if v == 0 {
		return d
	}
	return v
}

// Assumptions describes what the case's simulation assumes that the
// manifests do not say: the ranges its delays are drawn from, what the app
// does on SIGTERM and its longest request, each with its source. appFlag,
// when set, is the --app override.
func (c Case) Assumptions(appFlag string) []string {
	p := &c.Params
	ranges := fmt.Sprintf("%s (%s targets): delays drawn uniformly across controller reconcile %s, registration %s, deregistration %s, kube-proxy %s, app start-up %s, pod start %s",
		p.LB, p.TargetType, p.Reconcile, p.RegisterPropagation, p.DeregisterPropagation, p.EndpointPropagation, p.AppStartup, p.PodStart)
	what := map[AppBehaviour]string{AppDrain: "drains: finishes its requests, then exits", AppExit: "exits at once", AppIgnore: "never gets it and serves until SIGKILL"}
	from := c.App.ShutdownFrom.Detail
	if from == "" {
		from = string(c.App.ShutdownFrom.Source)
	}
	if appFlag != "" {
		from = "--app " + appFlag
	}
	app := fmt.Sprintf("%s: on SIGTERM the app %s [%s]; longest request %s [%s]", c.Workload, what[p.App], from,
		secs(p.DurationMax), c.App.LongestRequest.Sources())
	return []string{ranges, app}
}
