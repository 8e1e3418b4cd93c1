package sim

import "github.com/zerodrop/zerodrop/pkg/timing"

// Class is what a client sees of a request.
type Class uint8

// Classes, in report order.
const (
	OK Class = iota
	Refused
	Reset
	Status502
	Status503
	Status504
	Timeout
	nClasses
)

var classNames = [nClasses]string{"ok", "refused", "reset", "502", "503", "504", "timeout"}

func (c Class) String() string { return classNames[c] }

// FailureClasses lists the classes that count as failures, in order.
func FailureClasses() []Class {
	return []Class{Refused, Reset, Status502, Status503, Status504, Timeout}
}

// Cause is why a request failed.
type Cause uint8

// Causes. Each maps to a class that depends on the load balancer: an ALB
// (and a CLB, modelled with an HTTP listener) answers with a status; an NLB
// passes the TCP outcome through.
const (
	CauseNone Cause = iota
	// CauseNoTargets: nothing to route to (target group empty, or only
	// targets in initial or draining state).
	CauseNoTargets
	// CauseNoEndpoints: instance targets, kube-proxy knows no endpoint.
	CauseNoEndpoints
	// CauseNotListening: routed to a pod whose app was not listening yet.
	CauseNotListening
	// CauseStopped: routed to a pod whose app had stopped accepting
	// connections after SIGTERM.
	CauseStopped
	// CauseKeepAliveClosed: sent on a kept-alive connection the app closed
	// at SIGTERM.
	CauseKeepAliveClosed
	// CauseExited: routed to a pod whose app had exited or been killed.
	CauseExited
	// CausePodGone: routed to a pod IP nothing answers on any more.
	CausePodGone
	// CauseKilled: in flight when SIGKILL came at the end of the grace period.
	CauseKilled
	// CauseExitInFlight: in flight when the app exited on SIGTERM without
	// draining.
	CauseExitInFlight
	// CauseDeregEnd: in flight when the deregistration delay ended (ALB).
	CauseDeregEnd
	// CauseIdleTimeout: response slower than the load balancer's idle timeout.
	CauseIdleTimeout
	// CauseIdleRace: reused connection closed by the app as it went idle.
	CauseIdleRace
	// CauseNoLocalEndpoint: sent to a node with no local endpoint left
	// (externalTrafficPolicy: Local) that the load balancer still routes
	// to because the node's health check has not failed yet.
	CauseNoLocalEndpoint
	// CauseStaleConntrack: a new connection through kube-proxy whose source
	// port matched a node's conntrack entry left by an unanswered SYN to a
	// pod that had gone: it follows the entry to the dead pod, though
	// kube-proxy's rules no longer list it (timing.ConntrackSynSent).
	CauseStaleConntrack
	nCauses
)

var causeText = [nCauses]string{
	"",
	"no target to route to: the target group was empty or held only new (initial) and draining targets",
	"no ready endpoint: kube-proxy had no pod to forward to",
	"sent to a pod whose app was not listening yet",
	"sent to a pod after SIGTERM: the app had stopped accepting connections while the load balancer still routed to it",
	"sent on a kept-alive connection the app closed at SIGTERM while the load balancer still routed to it",
	"sent to a pod whose app had exited or been killed while the load balancer still routed to it",
	"sent to a pod that no longer exists: nothing answers on its IP",
	"in flight when the pod was killed (SIGKILL at the end of the grace period)",
	"in flight when the app exited on SIGTERM without finishing its requests",
	"in flight when the deregistration delay ended",
	"response slower than the load balancer's idle timeout",
	"sent on a kept-alive connection the app closed as idle (app idle timeout shorter than the load balancer's)",
	"sent to a node with no local endpoint (externalTrafficPolicy: Local) before its health check failed: kube-proxy drops it",
	"a new connection that reused the source port of an unanswered SYN to a pod that had gone: the node's stale conntrack entry sends it to the dead pod after kube-proxy dropped it",
}

// Causes lists every cause of failure, in report order.
func Causes() []Cause {
	var out []Cause
	for c := CauseNone + 1; c < nCauses; c++ {
		out = append(out, c)
	}
	return out
}

// Steady reports whether the cause fails requests whatever the event: a
// response slower than the load balancer's idle timeout, or an app that
// closes idle connections before the load balancer does. No rollout, scale-in
// or drain setting changes those, so the rules about events do not judge them.
func (c Cause) Steady() bool { return c == CauseIdleTimeout || c == CauseIdleRace }

// Name is the cause's short name (JSON, docs).
func (c Cause) Name() string { return causeNames[c] }

var causeNames = [nCauses]string{"", "no-targets", "no-endpoints", "not-listening", "stopped", "keepalive-closed",
	"exited", "pod-gone", "killed", "exit-in-flight", "deregistration-end", "idle-timeout", "idle-race", "no-local-endpoint", "stale-conntrack"}

// String describes the cause.
func (c Cause) String() string { return causeText[c] }

// classOf maps a cause to what the client sees behind a kind of LB.
func classOf(lb timing.LB, c Cause) Class {
	http := lb != timing.NLB
	switch c {
	case CauseNoTargets:
		if http {
			return Status503
		}
		return Timeout
	case CauseNoEndpoints, CauseNotListening, CauseStopped, CauseExited:
		if http {
			return Status502
		}
		return Refused
	case CausePodGone, CauseNoLocalEndpoint, CauseStaleConntrack:
		if http {
			return Status504
		}
		return Timeout
	case CauseIdleTimeout:
		if http {
			return Status504
		}
		return Reset
	}
	if http {
		return Status502
	}
	return Reset
}

// Phase of a pod for the timeline.
type Phase uint8

// Pod phases.
const (
	PhasePending     Phase = iota // created, container not running yet
	PhaseStarting                 // running, not Ready
	PhaseReady                    // Ready
	PhaseTerminating              // deleted, still running
	nPhases
	phaseGone
)

var phaseNames = [nPhases]string{"pending", "starting", "ready", "terminating"}

func (p Phase) String() string { return phaseNames[p] }

// Phases lists the pod phases in chart order.
func Phases() []Phase { return []Phase{PhasePending, PhaseStarting, PhaseReady, PhaseTerminating} }

// Second is one second of the timeline. Successful requests count in the
// second they complete; failed ones in the second they fail.
type Second struct {
	OK     int64                             `json:"ok"`
	Failed [nClasses]int64                   `json:"-"`
	Pods   [nPhases]int32                    `json:"-"`
	Gauges struct{ Healthy, Routable int32 } `json:"-"`
}

// FailedTotal sums the failures of the second.
func (s *Second) FailedTotal() int64 {
	var n int64
	for _, c := range FailureClasses() {
		n += s.Failed[c]
	}
	return n
}

// CauseCount is one cause with its count and the window it happened in,
// in seconds from the start of the run.
type CauseCount struct {
	Cause Cause
	Class Class
	Count int64
	From  float64
	To    float64
}

// Mark is a state change worth showing on the timeline.
type Mark struct {
	At   float64 `json:"at"`
	What string  `json:"what"`
}

// Run is the outcome of one simulated run.
type Run struct {
	Seed     uint64
	Total    int64
	OK       int64
	Failures [nClasses]int64
	Causes   []CauseCount
	// EventAt is when the event started; Done when it finished (the
	// Deployment complete, the scaled-in pods gone, the drained pods
	// replaced), -1 if it never did.
	EventAt float64
	Done    float64
	End     float64
	// MinHealthy is the fewest healthy targets from the event's start on
	// (ready endpoints, for instance targets).
	MinHealthy int
	// PeakPods is the most pods that existed at once (terminating ones
	// included).
	PeakPods int
	// DeadlineExceeded: the Deployment went longer than
	// progressDeadlineSeconds without progress.
	DeadlineExceeded bool
	Timeline         []Second
	Marks            []Mark
	// MarksDropped counts marks left out to keep the log short.
	MarksDropped int
	// Capped: the run reached MaxVirtual with events still pending.
	Capped bool
}

// Failed is the number of failed requests.
func (r *Run) Failed() int64 { return r.Total - r.OK }

// Duration is how long the event took, or -1.
func (r *Run) Duration() float64 {
	if r.Done < 0 {
		return -1
	}
	return round3(r.Done - r.EventAt)
}
