package timing

import (
	"fmt"
	"math"
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
	GateWait            Value
	DeregistrationDelay Value
	LongestRequest      Value
	ShutdownAllowance   Value
	Profile             Profile
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
	return n
}

// RequiredGrace is the grace period a pod needs: its preStop plus the app's
// shutdown allowance.
func (n Numbers) RequiredGrace(preStop Value) Value {
	return Sum("required grace", preStop.Named("preStop"), n.ShutdownAllowance)
}

// RollingBatch resolves maxSurge (rounded up) and maxUnavailable (rounded
// down) against replicas, the way the Deployment controller does, and fixes
// the both-zero case to maxUnavailable 1 as the controller does.
func RollingBatch(replicas int32, surge, unavailable string) (int32, int32, error) {
	s, err := scaled(surge, replicas, true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	u, err := scaled(unavailable, replicas, false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return s, u, nil
}

func scaled(v string, replicas int32, roundUp bool) (int32, error) {
	if v == "" {
		return 0, nil
	}
	if v[len(v)-1] == '%' {
		var pct float64
		if _, err := fmt.Sscanf(v[:len(v)-1], "%g", &pct); err != nil || pct < 0 {
			return 0, fmt.Errorf("invalid percentage %q", v)
		}
		x := pct * float64(replicas) / 100
		if roundUp {
			return int32(math.Ceil(x - 1e-9)), nil
		}
		return int32(math.Floor(x + 1e-9)), nil
	}
	var n int32
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n < 0 {
		return 0, fmt.Errorf("invalid value %q", v)
	}
	return n, nil
}
