package timing

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Input is what the model needs to know of one exposure.
type Input struct {
	LB         LB
	TargetType string
	// LocalTraffic is externalTrafficPolicy: Local on an instance-target
	// Service: the node leaves the LB only when its health check fails.
	LocalTraffic bool
	// Health check settings in effect.
	Interval, Timeout, HealthyThreshold, UnhealthyThreshold Value
	DeregistrationDelay                                     Value
}

// Numbers are the derived timings of one exposure, each a range: check
// judges at the end that is conservative for the inequality at hand (the
// high end of every requirement below), the simulator draws inside them.
type Numbers struct {
	// Register: from the pod being Ready in Kubernetes (or, with a readiness
	// gate, from its containers being ready) until the LB sends it traffic.
	Register Range
	// StopSending: from pod deletion until the LB sends it no new requests.
	StopSending Range
	// RequiredPreStop: the preStop delay that keeps SIGTERM after
	// StopSending, for an app that drains (see RequiredPreStopFor).
	RequiredPreStop Range
	// GateWait: with a readiness gate, from containers ready until the pod
	// turns Ready (registration plus the controller's polling).
	GateWait Range
	// DeregistrationDelay is the target group's setting (a manifest value).
	DeregistrationDelay Value
	Profile             Profile
}

// Compute derives the numbers for an exposure.
func (ps *Profiles) Compute(in Input) Numbers {
	p := ps.For(in.LB, in.TargetType)
	n := Numbers{Profile: p, DeregistrationDelay: in.DeregistrationDelay}
	if in.TargetType == TargetIP {
		checks := in.HealthyThreshold
		if in.LB == ALB {
			// An ALB target becomes healthy after one passed check.
			checks = Value{Name: "checks to healthy", Seconds: 1, Source: FromDefault, Detail: "a new ALB target needs one passed health check"}
		}
		n.Register = Sum("register", p.Reconcile, p.RegisterPropagation, Times("health checks", checks, in.Interval.Range()))
		n.StopSending = Sum(NameStopSending, p.Reconcile, p.DeregisterPropagation)
		// The gate flips at the controller's next poll after the target
		// turns healthy: at once at best, a whole period at worst.
		poll := Range{Name: "gate poll", Low: 0, High: p.GateRequeue.High, Source: FromDerived, Detail: "0 to one " + p.GateRequeue.Name + " period"}
		n.GateWait = Sum("gate wait", n.Register, poll)
	} else {
		n.Register = p.EndpointPropagation.Named("register")
		n.Register.Detail = "instance targets: the node is already registered; kube-proxy must add the pod (" + p.EndpointPropagation.Name + " " + p.EndpointPropagation.String() + ")"
		if in.LocalTraffic {
			// A pod on a node without another ready pod gets traffic only
			// once the node passes the load balancer's health check.
			n.Register = Sum("register", p.EndpointPropagation,
				Times("node health check passes", in.HealthyThreshold, in.Interval.Range()), p.RegisterPropagation)
			n.StopSending = Sum(NameStopSending, p.EndpointPropagation,
				Times("node health check fails", in.UnhealthyThreshold, in.Interval.Range()), p.DeregisterPropagation)
		} else {
			n.StopSending = p.EndpointPropagation.Named(NameStopSending)
			n.StopSending.Detail = "instance targets: kube-proxy on every node must drop the pod (" + p.EndpointPropagation.Name + " " + p.EndpointPropagation.String() + ")"
		}
	}
	n.RequiredPreStop = Sum(NameRequiredPreStop, n.StopSending, p.Margin)
	return n
}

// Names of the numbers that findings carry as evidence and that readers
// pick out again (the admission webhook's short warnings).
const (
	NameStopSending     = "stop sending"
	NameRequiredPreStop = "required preStop"
	NameRequiredGrace   = "required grace"
)

// RequiredPreStopFor is the preStop a pod of app needs. A draining app may
// get SIGTERM once the LB stops sending (plus the margin); an app that exits
// at once cuts what is in flight, so its preStop must also outlast the
// longest request that arrived just before the LB stopped sending. For an
// app that never gets SIGTERM the preStop does not matter (see
// RequiredGrace).
func (n Numbers) RequiredPreStopFor(app App) Range {
	if app.Shutdown == ShutdownExit {
		return Sum(NameRequiredPreStop, n.StopSending, app.LongestRequest, n.Profile.Margin)
	}
	return n.RequiredPreStop
}

// RequiredGrace is the grace period a pod with this preStop needs. A
// draining app gets SIGTERM when the preStop ends and needs the larger of
// its shutdown allowance and the longest request to finish; an app that
// exits at once needs only its shutdown allowance; an app that never gets
// SIGTERM serves until SIGKILL at the end of the grace period, so the grace
// period itself must outlast the LB's stop-sending time plus the longest
// request.
func (n Numbers) RequiredGrace(preStop Range, app App) Range {
	switch app.Shutdown {
	case ShutdownExit:
		return Sum(NameRequiredGrace, preStop.Named("preStop"), app.ShutdownAllowance)
	case ShutdownIgnore:
		return Sum(NameRequiredGrace, n.StopSending, app.LongestRequest, n.Profile.Margin)
	}
	return Sum(NameRequiredGrace, preStop.Named("preStop"), Max("shutdown", app.ShutdownAllowance, app.LongestRequest))
}

// RequiredDeregistrationDelay is the deregistration delay that lets the
// last request finish: it starts up to DeregisterPropagation after
// deregistration and may run the longest request.
func (n Numbers) RequiredDeregistrationDelay(app App) Range {
	return Sum("required deregistration delay", n.Profile.DeregisterPropagation, app.LongestRequest)
}

// DefaultApp is the app of a workload that declares nothing: the profile's
// shutdown mode and longest request.
func (ps *Profiles) DefaultApp(lb LB, targetType string) App {
	p := ps.For(lb, targetType)
	return App{Shutdown: Shutdown(ps.Shutdown.Value), ShutdownFrom: ps.Shutdown,
		LongestRequest: p.LongestRequest, ShutdownAllowance: p.ShutdownAllowance}
}

// RollingBatch resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against replicas with the helper the Deployment controller uses, and
// turns the both-zero case into maxUnavailable 1 as the controller does.
func RollingBatch(replicas int32, surge, unavailable *intstr.IntOrString) (int32, int32, error) {
	zero := intstr.FromInt32(0)
	if surge == nil {
		surge = &zero
	}
	if unavailable == nil {
		unavailable = &zero
	}
	s, err := intstr.GetScaledValueFromIntOrPercent(surge, int(replicas), true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(unavailable, int(replicas), false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

// Readiness is a readiness probe's timing: the first check InitialDelay
// after the container starts, then one every Period; SuccessThreshold
// passes in a row make the container ready. A zero Period is no probe: the
// container is ready as soon as it runs, whether the app listens or not.
type Readiness struct {
	InitialDelay, Period, SuccessThreshold int64
}

// ReadyAfter is how long after its container starts the probe first
// reports ready, for an app that listens listen seconds after the start.
func (r Readiness) ReadyAfter(listen int64) int64 {
	if r.Period <= 0 {
		return 0
	}
	at := r.InitialDelay
	if listen > at {
		at += (listen - at + r.Period - 1) / r.Period * r.Period
	}
	return at + (max(r.SuccessThreshold, 1)-1)*r.Period
}

// FirstTraffic is, behind instance targets, from a new pod's creation until
// kube-proxy on every node sends it traffic: the pod starts, its probe
// finds the app listening, and kube-proxy adds the endpoint.
func (n Numbers) FirstTraffic(r Readiness) Range {
	p := n.Profile
	detail := "no readiness probe: ready when the container runs"
	if r.Period > 0 {
		detail = fmt.Sprintf("first passing probe after app start-up %s (initialDelaySeconds %d, periodSeconds %d, successThreshold %d)",
			p.AppStartup, r.InitialDelay, r.Period, max(r.SuccessThreshold, 1))
	}
	ready := Range{Name: "readiness", Low: r.ReadyAfter(p.AppStartup.Low), High: r.ReadyAfter(p.AppStartup.High), Source: FromDerived, Detail: detail}
	return Sum("first traffic", p.PodStart, ready, p.EndpointPropagation)
}

// Signals is when, after deletion, the kubelet signals a container whose
// preStop hook lasts preStop seconds in a pod with this grace period:
// SIGTERM when the hook ends or the grace period does, whichever comes
// first, and SIGKILL when the grace period ends, or 2 s after a SIGTERM the
// grace period cut short (facts §4.1). A grace period of 0 kills at once.
func Signals(preStop, grace float64) (sigterm, sigkill float64) {
	if grace <= 0 {
		return 0, 0
	}
	hook := min(preStop, grace)
	return hook, hook + max(grace-hook, 2)
}
