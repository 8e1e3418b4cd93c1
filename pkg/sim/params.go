package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/zerodrop/zerodrop/pkg/timing"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Event is what happens to the workload.
type Event string

// Events the simulator knows.
const (
	// Rollout replaces every pod with one of a new template, following the
	// workload's update strategy.
	Rollout Event = "rollout"
	// ScaleIn removes pods down to Params.ScaleTo.
	ScaleIn Event = "scale-in"
	// Drain evicts the pods on Params.DrainNodes nodes through the eviction
	// API, which honours the PodDisruptionBudget.
	Drain Event = "drain"
)

// Events lists every event, in the order results are reported.
func Events() []Event { return []Event{Rollout, ScaleIn, Drain} }

// ParseEvent reads an event name.
func ParseEvent(s string) (Event, error) {
	for _, e := range Events() {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown event %q (want rollout, scale-in or drain)", s)
}

// AppBehaviour is what the app does on SIGTERM.
type AppBehaviour string

// App behaviours.
const (
	// AppDrain stops accepting connections, finishes what is in flight and
	// exits (Go's http.Server.Shutdown, most frameworks).
	AppDrain AppBehaviour = "drain"
	// AppExit exits at once: whatever is in flight is cut.
	AppExit AppBehaviour = "exit"
	// AppIgnore never sees SIGTERM (a shell wrapper as PID 1): it serves on
	// until SIGKILL at the end of the grace period.
	AppIgnore AppBehaviour = "ignore"
)

// Dist is a random delay in seconds, drawn uniformly across [Min, Max]: the
// range check judges against (timing.Range), ends included. Min == Max is a
// constant.
type Dist struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// From says where the range comes from (its ends' sources), for the
	// report's assumptions.
	From string `json:"from,omitempty"`
}

// FromRange is the distribution of a delay check knows as r.
func FromRange(r timing.Range) Dist {
	return Dist{Min: float64(r.Low), Max: float64(r.High), From: r.Sources()}
}

// Const is a fixed delay.
func Const(v float64) Dist { return Dist{Min: v, Max: v} }

// Sample draws from the distribution.
func (d Dist) Sample(r *rand.Rand) float64 {
	if d.Max <= d.Min {
		return d.Min
	}
	return d.Min + r.Float64()*(d.Max-d.Min)
}

// String is "120–180 s", or "30 s".
func (d Dist) String() string {
	if d.Max <= d.Min {
		return fmt.Sprintf("%g s", d.Min)
	}
	return fmt.Sprintf("%g–%g s", d.Min, d.Max)
}

// end is the constant at the high end of d, or at its low end.
func (d Dist) end(high bool) Dist {
	if high {
		return Const(d.Max)
	}
	return Const(d.Min)
}

// Mean is the distribution's mean.
func (d Dist) Mean() float64 { return (d.Min + d.Max) / 2 }

func (d Dist) valid() bool {
	return d.Min >= 0 && d.Min <= d.Max && !math.IsInf(d.Max, 0) && !math.IsNaN(d.Max)
}

// Probe is a readiness probe.
type Probe struct {
	InitialDelay     float64 `json:"initialDelaySeconds"`
	Period           float64 `json:"periodSeconds"`
	SuccessThreshold int     `json:"successThreshold"`
	FailureThreshold int     `json:"failureThreshold"`
}

// PDB is a PodDisruptionBudget in force (one the API server accepts).
type PDB struct {
	MinAvailable   *intstr.IntOrString `json:"minAvailable,omitempty"`
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// desiredHealthy is how many healthy pods the budget keeps, as the
// disruption controller computes it (percentages round up).
func (p *PDB) desiredHealthy(expected int) int {
	switch {
	case p.MaxUnavailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(p.MaxUnavailable, expected, true)
		if err != nil {
			return expected
		}
		return max(expected-v, 0)
	case p.MinAvailable != nil:
		v, err := intstr.GetScaledValueFromIntOrPercent(p.MinAvailable, expected, true)
		if err != nil {
			return expected
		}
		return v
	}
	return 0
}

// Params is one simulated scenario: a workload behind one load balancer,
// an event, and the traffic. Times are in seconds.
type Params struct {
	// Load balancer.
	LB         timing.LB `json:"loadBalancer"`
	TargetType string    `json:"targetType"`
	// Health check in effect.
	HealthInterval     float64 `json:"healthCheckInterval"`
	HealthyThreshold   int     `json:"healthyThreshold"`
	UnhealthyThreshold int     `json:"unhealthyThreshold"`
	// DeregistrationDelay: how long a deregistered target drains.
	DeregistrationDelay float64 `json:"deregistrationDelay"`
	// IdleTimeout: an ALB answers 504 to a response slower than this.
	IdleTimeout float64 `json:"idleTimeout"`
	// ConnTermination: an NLB resets the flows still open on a target when
	// its deregistration delay ends (an ALB always cuts them then).
	ConnTermination bool `json:"connectionTermination,omitempty"`
	// LocalTraffic: externalTrafficPolicy: Local on instance targets. The
	// load balancer health-checks each node's kube-proxy, which passes
	// while the node has a ready local endpoint; a node leaves the load
	// balancer only when that check fails, and kube-proxy drops what
	// reaches a node without a local endpoint.
	LocalTraffic bool `json:"localTraffic,omitempty"`
	// Gate: pods carry the controller's readiness gate.
	Gate bool `json:"readinessGate"`
	// NoTargets: the load balancer never has a target (the controller
	// cannot build the target group, or the Service has no endpoint).
	NoTargets bool `json:"noTargets,omitempty"`
	// Frozen: the controller's reconcile fails, so the target group keeps
	// the targets it had before the event and never follows the pods.
	Frozen bool `json:"frozenTargets,omitempty"`

	// Delays, each drawn across the range check judges against.
	Reconcile             Dist `json:"reconcile"`
	RegisterPropagation   Dist `json:"registerPropagation"`
	DeregisterPropagation Dist `json:"deregisterPropagation"`
	EndpointPropagation   Dist `json:"endpointPropagation"`
	// KubeProxyParts, when set, are kube-proxy's observation and sync
	// times as measured on the profile's nodes; without them the parts of
	// a sync share EndpointPropagation evenly (timing.SplitKubeProxy).
	KubeProxyParts *timing.KubeProxyParts `json:"kubeProxyParts,omitempty"`
	// GateRequeue: how often the controller re-reads target health for a
	// readiness gate (a fixed period, not random).
	GateRequeue float64 `json:"gateRequeue"`
	// PodStart: from pod creation until its container runs (scheduling,
	// sandbox).
	PodStart   Dist `json:"podStart"`
	AppStartup Dist `json:"appStartup"`
	// SandboxTeardown: from the app's exit until the pod IP stops
	// answering (after that, connections time out).
	SandboxTeardown float64 `json:"sandboxTeardown"`

	// Workload.
	Replicas         int                 `json:"replicas"`
	Strategy         string              `json:"strategy"`
	MaxSurge         *intstr.IntOrString `json:"maxSurge,omitempty"`
	MaxUnavailable   *intstr.IntOrString `json:"maxUnavailable,omitempty"`
	MinReadySeconds  float64             `json:"minReadySeconds"`
	ProgressDeadline float64             `json:"progressDeadlineSeconds"`
	// Pod.
	Probe   *Probe       `json:"readinessProbe,omitempty"`
	PreStop float64      `json:"preStop"`
	Grace   float64      `json:"terminationGracePeriodSeconds"`
	App     AppBehaviour `json:"app"`
	PDB     *PDB         `json:"pdb,omitempty"`

	// Event.
	Event Event `json:"event"`
	// ScaleTo is the replica count after a scale-in.
	ScaleTo int `json:"scaleTo,omitempty"`
	// Nodes the pods are spread over (round-robin); DrainNodes of them are
	// drained at once by a drain event.
	Nodes      int `json:"nodes,omitempty"`
	DrainNodes int `json:"drainNodes,omitempty"`
	// Lead: traffic before the event starts. Tail: traffic after the last
	// state change.
	Lead float64 `json:"lead"`
	Tail float64 `json:"tail"`

	// Traffic.
	RPS float64 `json:"rps"`
	// Request durations are log-normal with this median and sigma, capped
	// at DurationMax (the profile's longest request).
	DurationMedian float64 `json:"durationMedian"`
	DurationSigma  float64 `json:"durationSigma"`
	DurationMax    float64 `json:"durationMax"`
	// LongShare is the share of requests that last exactly DurationMax,
	// the longest request (so that it happens, not only bounds the tail).
	LongShare float64 `json:"longShare,omitempty"`
	// KeepAlive is the share of requests sent on a reused connection.
	KeepAlive float64 `json:"keepAlive"`
	// IdleRace is the chance that a request on a reused connection meets
	// the app closing that idle connection (an app idle timeout shorter
	// than the load balancer's); 0 when the app keeps connections longer.
	IdleRace float64 `json:"idleRace,omitempty"`
	// Conns is how many kept-alive connections the load balancer holds
	// to its targets at once. Behind instance targets kube-proxy pins each
	// to one pod; when that pod's app stops, the requests that rode them
	// need new connections, through kube-proxy's rules of that moment. 0:
	// the requests in flight (Little's law), the fewest that carry the
	// traffic, spread evenly over the pods and all reopened at a stop.
	// Above 0 they are a pool, request by request (pool.go): a request
	// takes an idle one to any pod that listens, and a new one is opened
	// only when none is idle, so a pool holding idle connections to the
	// pods that listen on opens none at a stop.
	Conns float64 `json:"lbConnections,omitempty"`
	// KubeProxies is how many kube-proxies apply endpoint changes, each in
	// its own serial, batched syncs (instance targets): one per node when
	// 0, at most 16. A lab whose nodes share one network namespace has one.
	KubeProxies int `json:"kubeProxies,omitempty"`

	// skew fixes the delays at the ends Skewed picks (SkewNone: drawn).
	skew Skew
}

// Defaults for traffic and for delays the profile does not hold.
const (
	DefaultRPS            = 100
	DefaultDurationMedian = 0.1
	DefaultDurationSigma  = 1.0
	DefaultKeepAlive      = 0.9
	DefaultLead           = 10
	DefaultTail           = 30
	DefaultSandbox        = 1
	// DrainRetry is how long kubectl drain waits before retrying an
	// eviction the budget refused.
	DrainRetry = 5
	// ConnectTimeout: an ALB gives up connecting to a target after 10 s
	// and answers 504.
	ConnectTimeout = 10
	// MaxVirtual bounds a run's virtual time (a week): a run that reaches
	// it stops there and says so (Run.Capped).
	MaxVirtual = 7 * 24 * 3600
)

// DefaultNodes is how many nodes the pods are spread over unless told: one
// per 20 replicas and at least 3; behind externalTrafficPolicy: Local, one
// per replica, the conservative placement there (every pod deleted empties
// its node, which the load balancer then still sends to until the node's
// health check fails), with new pods on nodes of their own.
func DefaultNodes(p *Params) int {
	if p.LocalTraffic {
		return max(p.Replicas, 1)
	}
	return max(3, int(math.Ceil(float64(p.Replicas)/20)))
}

// DefaultScaleTo is the replica count a scale-in goes to unless told: half,
// rounded down, but never 0 from 1 or more (scaling to 0 is an outage, not
// a scale-in; ask for it with ScaleTo 0).
func DefaultScaleTo(replicas int) int {
	if replicas <= 1 {
		return replicas
	}
	return replicas / 2
}

// FromNumbers fills the timing fields of p from the numbers check computed
// for the same exposure and the app check resolved for the workload: every
// delay is drawn inside the range check judges against, request durations
// are cut at the longest request, and the app does on SIGTERM what check
// assumes it does.
func (p *Params) FromNumbers(n timing.Numbers, app timing.App) {
	p.FromProfile(n.Profile)
	p.DurationMax = float64(app.LongestRequest.High)
	p.App = FromShutdown(app.Shutdown)
}

// FromShutdown maps the model's shutdown mode to the app's behaviour.
func FromShutdown(m timing.Shutdown) AppBehaviour {
	switch m {
	case timing.ShutdownExit:
		return AppExit
	case timing.ShutdownIgnore:
		return AppIgnore
	}
	return AppDrain
}

// FromProfile fills the timing fields of p from a timing profile: each
// delay is drawn across the profile's range.
func (p *Params) FromProfile(pr timing.Profile) {
	p.Reconcile = FromRange(pr.Reconcile)
	p.RegisterPropagation = FromRange(pr.RegisterPropagation)
	p.DeregisterPropagation = FromRange(pr.DeregisterPropagation)
	p.EndpointPropagation = FromRange(pr.EndpointPropagation)
	p.KubeProxyParts = pr.KubeProxy
	p.GateRequeue = float64(pr.GateRequeue.High)
	p.AppStartup = FromRange(pr.AppStartup)
	p.PodStart = FromRange(pr.PodStart)
	p.DurationMax = float64(pr.LongestRequest.High)
}

// Skew fixes each delay at the end of its range that is worst for one kind
// of harm, rather than every delay at the same end: the inequality a rule
// judges often sets a delay that brings traffic to a new pod against one
// that takes it from an old pod, and its conservative case is the first at
// its high end with the second at its low end.
type Skew int8

// Skews.
const (
	// SkewNone draws every delay across its range.
	SkewNone Skew = iota
	// SkewLateJoin: traffic reaches new pods as late as the ranges allow
	// (reconcile, registration, kube-proxy adding the pod and the first
	// health check at their high ends) and leaves old ones as early (their
	// deregistration and removal at the low ends), while pods start as fast
	// as they can, so that a rollout or a drain moves on at its fastest:
	// the conservative case of a capacity rule (ZD002, ZD005, ZD010).
	SkewLateJoin
	// SkewEarlyJoin: traffic reaches a new pod as early as the ranges
	// allow while its app takes the longest to listen: the conservative
	// case of traffic before the app serves (ZD005).
	SkewEarlyJoin
)

// Skewed returns p with every random delay fixed at the end k picks.
func (p Params) Skewed(k Skew) Params {
	p.skew = k
	return p
}

// AtEnd returns p with every random delay fixed at one end of its range:
// the high end when high is set (every wait as long as it can be: the
// conservative end for a rule's inequality), else the low end.
func (p Params) AtEnd(high bool) Params {
	for _, d := range []*Dist{&p.Reconcile, &p.RegisterPropagation, &p.DeregisterPropagation,
		&p.EndpointPropagation, &p.PodStart, &p.AppStartup} {
		*d = d.end(high)
	}
	return p
}

// Default returns a scenario with every field set: an ALB with ip targets
// and the built-in ALB/ip preset, three replicas with the Kubernetes
// defaults, and 100 requests per second.
func Default() Params {
	p := Params{
		LB: timing.ALB, TargetType: timing.TargetIP,
		HealthInterval: 15, HealthyThreshold: 2, UnhealthyThreshold: 2,
		DeregistrationDelay: 300, IdleTimeout: 60,
		SandboxTeardown: DefaultSandbox,
		Replicas:        3, Strategy: "RollingUpdate", ProgressDeadline: 600,
		Grace: 30, App: AppDrain, Event: Rollout, Nodes: 3,
		Lead: DefaultLead, Tail: DefaultTail,
		RPS: DefaultRPS, DurationMedian: DefaultDurationMedian, DurationSigma: DefaultDurationSigma,
		KeepAlive: DefaultKeepAlive,
	}
	q := intstr.FromString("25%")
	p.MaxSurge, p.MaxUnavailable = &q, &q
	p.FromProfile(timing.Default().For(timing.ALB, timing.TargetIP))
	return p
}

// Batch resolves maxSurge and maxUnavailable with timing.RollingBatch, the
// rounding the Deployment controller uses (and check).
func (p *Params) Batch() (surge, unavailable int, err error) {
	if p.Strategy == "Recreate" {
		return 0, p.Replicas, nil
	}
	s, u, err := timing.RollingBatch(int32(p.Replicas), p.MaxSurge, p.MaxUnavailable)
	return int(s), int(u), err
}

// Validate reports parameters the simulator cannot run.
func (p *Params) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if p.LB != timing.ALB && p.LB != timing.NLB && p.LB != timing.CLB {
		bad("load balancer %q: want ALB, NLB or CLB", p.LB)
	}
	if p.TargetType != timing.TargetIP && p.TargetType != timing.TargetInstance {
		bad("target type %q: want ip or instance", p.TargetType)
	}
	if p.Replicas < 0 || p.Replicas > 100000 {
		bad("replicas %d: want 0 to 100000", p.Replicas)
	}
	if p.RPS < 0 || p.RPS > 1e6 || math.IsNaN(p.RPS) {
		bad("rps %v: want 0 to 1000000", p.RPS)
	}
	if p.HealthInterval <= 0 || p.HealthyThreshold < 1 || p.UnhealthyThreshold < 1 {
		bad("health check: interval and thresholds must be positive")
	}
	if p.Probe != nil && (p.Probe.Period <= 0 || p.Probe.SuccessThreshold < 1 || p.Probe.FailureThreshold < 1) {
		bad("readiness probe: period and thresholds must be positive")
	}
	for name, d := range map[string]Dist{"reconcile": p.Reconcile, "registerPropagation": p.RegisterPropagation,
		"deregisterPropagation": p.DeregisterPropagation, "endpointPropagation": p.EndpointPropagation,
		"podStart": p.PodStart, "appStartup": p.AppStartup} {
		if !d.valid() {
			bad("%s: want 0 ≤ min ≤ max", name)
		}
	}
	if p.PreStop < 0 || p.Grace < 0 || p.MinReadySeconds < 0 || p.DeregistrationDelay < 0 {
		bad("preStop, grace, minReadySeconds and deregistration delay must not be negative")
	}
	if p.DurationMedian <= 0 || p.DurationMax <= 0 || p.DurationSigma < 0 {
		bad("request durations: median and maximum must be positive")
	} else if p.DurationMedian > p.DurationMax {
		bad("median request duration %gs is above the longest request, %gs: declare a longer longest request or lower the median", p.DurationMedian, p.DurationMax)
	}
	if p.KubeProxyParts != nil {
		if err := p.KubeProxyParts.Validate(); err != nil {
			bad("%v", err)
		}
	}
	if p.KubeProxies < 0 {
		bad("kubeProxies is a count, 0 (one per node) or more")
	}
	if p.Conns < 0 || math.IsNaN(p.Conns) || math.IsInf(p.Conns, 0) {
		bad("lbConnections is a count, 0 or more")
	}
	if p.KeepAlive < 0 || p.KeepAlive > 1 || p.IdleRace < 0 || p.IdleRace > 1 || p.LongShare < 0 || p.LongShare > 1 {
		bad("keepAlive and idleRace are shares between 0 and 1")
	}
	switch p.App {
	case AppDrain, AppExit, AppIgnore:
	default:
		bad("app behaviour %q: want drain, exit or ignore", p.App)
	}
	switch p.Event {
	case Rollout:
		if p.Strategy != "RollingUpdate" && p.Strategy != "Recreate" {
			bad("strategy %q: want RollingUpdate or Recreate", p.Strategy)
		}
		if _, _, err := p.Batch(); err != nil {
			bad("rolling update: %v", err)
		}
	case ScaleIn:
		if p.ScaleTo < 0 || p.ScaleTo > p.Replicas {
			bad("scale-in to %d: want 0 to %d replicas", p.ScaleTo, p.Replicas)
		}
	case Drain:
		if p.Nodes < 1 || p.DrainNodes < 0 || p.DrainNodes > p.Nodes {
			bad("drain: want 1 or more nodes and at most that many drained")
		}
	default:
		bad("event %q: want rollout, scale-in or drain", p.Event)
	}
	return errors.Join(errs...)
}
