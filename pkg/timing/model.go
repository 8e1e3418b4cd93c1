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

// Numbers are the derived timings of one exposure.
type Numbers struct {
	// Register: from the pod being Ready in Kubernetes (or, with a readiness
	// gate, from its containers being ready) until the LB sends it traffic.
	Register Value
	// StopSending: from pod deletion until the LB sends it no new requests.
	StopSending Value
	// RequiredPreStop: the preStop delay that keeps SIGTERM after StopSending.
	RequiredPreStop Value
	// GateWait: with a readiness gate, from containers ready until the pod
	// turns Ready (registration plus the controller's polling).
	GateWait Value
	// RequiredDeregistrationDelay: the last request the LB sends starts up
	// to DeregisterPropagation after deregistration and may run
	// LongestRequest; the delay must outlast it, or the LB cuts it (502).
	RequiredDeregistrationDelay Value
	DeregistrationDelay         Value
	LongestRequest              Value
	ShutdownAllowance           Value
	Profile                     Profile
}

// Compute derives the numbers for an exposure.
func (ps *Profiles) Compute(in Input) Numbers {
	p := ps.For(in.LB, in.TargetType)
	n := Numbers{Profile: p, DeregistrationDelay: in.DeregistrationDelay,
		LongestRequest: p.LongestRequest, ShutdownAllowance: p.ShutdownAllowance}
	if in.TargetType == TargetIP {
		checks := in.HealthyThreshold
		if in.LB == ALB {
			// An ALB target becomes healthy after one passed check.
			checks = Value{Name: "checks to healthy", Seconds: 1, Source: FromDefault, Detail: "a new ALB target needs one passed health check"}
		}
		n.Register = Sum("register", p.Reconcile, p.RegisterPropagation, Times("health checks", checks, in.Interval))
		n.StopSending = Sum("stop sending", p.Reconcile, p.DeregisterPropagation)
		n.GateWait = Sum("gate wait", n.Register, p.GateRequeue)
	} else {
		n.Register = p.EndpointPropagation.Named("register")
		n.Register.Detail = "instance targets: the node is already registered; kube-proxy must add the pod (" + p.EndpointPropagation.Detail + ")"
		if in.LocalTraffic {
			n.StopSending = Sum("stop sending", p.EndpointPropagation,
				Times("node health check fails", in.UnhealthyThreshold, in.Interval), p.DeregisterPropagation)
		} else {
			n.StopSending = p.EndpointPropagation.Named("stop sending")
			n.StopSending.Detail = "instance targets: kube-proxy on every node must drop the pod (" + p.EndpointPropagation.Detail + ")"
		}
	}
	n.RequiredPreStop = Sum("required preStop", n.StopSending, p.Margin)
	n.RequiredDeregistrationDelay = Sum("required deregistration delay", p.DeregisterPropagation, p.LongestRequest)
	return n
}

// RequiredGrace is the grace period a pod needs: its preStop plus the app's
// shutdown allowance.
func (n Numbers) RequiredGrace(preStop Value) Value {
	return Sum("required grace", preStop.Named("preStop"), n.ShutdownAllowance)
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
