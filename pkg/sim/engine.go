package sim

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/zerodrop/zerodrop/pkg/timing"
)

// evKind is a kind of scheduled state change.
type evKind uint8

const (
	evStart evKind = iota
	evContainerStart
	evAppListen
	evProbe
	evAvailable
	evLBC
	evDPAdd
	evHealth
	evGate
	evStopSending
	evDrainEnd
	evKubeProxy
	evSIGTERM
	evSIGKILL
	evExit
	evGone
	evEvict
	evDeadline
	evRetry
	// evNode changes a node's place in the load balancer
	// (externalTrafficPolicy: Local); pod is the node's index.
	evNode
)

// event is one entry of the queue. gen cancels superseded transitions: an
// event whose gen differs from its pod's current one is ignored.
type event struct {
	t   float64
	seq uint64
	pod int32
	gen int32
	k   evKind
}

type queue []event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// periodic is a periodic check (a readiness probe, or the load balancer's
// health check) worked out analytically: ticks at phase + k·period; a
// streak of passN passes (initialPass from the initial state) makes it
// pass-state, failN fails make it fail-state. Only the tick where the state
// changes is scheduled.
type periodic struct {
	phase, period float64
	passN, failN  int
	initialPass   int
	state         int8 // 0 initial, 1 passing (ready/healthy), -1 failing
	gen           int32
	running       bool
}

func (c *periodic) firstTick(t float64) float64 {
	if t <= c.phase {
		return c.phase
	}
	k := math.Ceil((t - c.phase) / c.period)
	at := c.phase + k*c.period
	if at < t { // rounding
		at += c.period
	}
	return at
}

// change returns when the state changes if every check from t on gives
// pass, and to which state; ok is false if it does not change.
func (c *periodic) change(t float64, pass bool) (at float64, to int8, ok bool) {
	if pass {
		if c.state == 1 {
			return 0, 0, false
		}
		need := c.passN
		if c.state == 0 {
			need = c.initialPass
		}
		return c.firstTick(t) + float64(need-1)*c.period, 1, true
	}
	if c.state == -1 {
		return 0, 0, false
	}
	return c.firstTick(t) + float64(c.failN-1)*c.period, -1, true
}

// ringBucket is the width of the in-flight ledger's buckets, in seconds.
const ringBucket = 0.1

type ringEntry struct {
	b int32 // bucket index: end time / ringBucket
	n int32
}

// pod is a pod and, for ip targets, its load-balancer target.
type pod struct {
	id   int32
	rs   int8 // 0 current template, 1 new template
	node int32
	rng  *rand.Rand

	// Draws made when the pod is created, so that a pod's delays do not
	// depend on the order in which events of other pods happen.
	dStart, dApp, dRegRec, dDeregRec, dRegProp, dDeregProp, dKPAdd, dKPDel, hcFrac float64

	// Times the traffic loop reads. +Inf until known.
	listenStart, listenEnd, exitAt, ipGone, cut float64
	cutCause                                    Cause

	created, readyAt, deletedAt, sigterm, sigkill float64

	phase                                 Phase
	containersReady, gateOK, ready, avail bool
	terminating, exited, gone, listening  bool
	registered, inDP, draining, stopped   bool
	healthy, counted                      bool
	evicting, onDrained                   bool
	// kpReady and kpServing hold, one bit per kube-proxy, whether its
	// rules have the pod as a ready endpoint or as a terminating one that
	// still serves (used only when no ready one is left); kpLast is the
	// last state passed to kube-proxy (kpBitReady, kpBitServing).
	kpReady, kpServing uint64
	kpLast             uint8
	// pinned counts the load balancer's kept-alive connections kube-proxy
	// pinned to the pod (instance targets) that the load balancer has
	// not yet replaced since the app stopped.
	pinned float64
	// sink stands for a node without a local endpoint that the load
	// balancer still routes to (externalTrafficPolicy: Local).
	sink      bool
	regAt     float64
	gen       int32 // for available
	probe, hc periodic
	ring      []ringEntry
}

// node is a node behind an instance target group with
// externalTrafficPolicy: Local.
type node struct {
	// local counts the pods kube-proxy on the node has as ready endpoints.
	local int
	// inLB: the load balancer routes to the node (its health check passes).
	inLB bool
	// want is where the pending health-check transition leads.
	want bool
	gen  int32
	// phase of the node's health checks, and the sink that stands for it
	// when it has no local endpoint.
	phase float64
	sink  *pod
}

// sim is one run.
type sim struct {
	p    Params
	seed uint64
	rng  *rand.Rand // traffic
	q    queue
	seq  uint64
	now  float64
	pods []*pod
	// idle stands for the nodes that run no pod of the workload, which a
	// load balancer failing open sends to (externalTrafficPolicy: Local).
	idle   *pod
	surge  int
	unav   int
	http   bool
	ipMode bool
	class  [nCauses]Class

	// Routing: the targets the load balancer (or kube-proxy) sends new
	// requests to, rebuilt only when their state changes. Behind instance
	// targets (externalTrafficPolicy: Cluster) each node's kube-proxy has
	// its own rules: routes[j] is what kube-proxy j forwards to, and the
	// load balancer spreads requests over the nodes; otherwise routes
	// holds one list. routable is routes[0].
	routable []*pod
	routes   [][]*pod
	rr       int
	lbrr     int
	dirty    bool
	// kube-proxy: one per node (at most maxProxies), each applying
	// endpoint changes in serial, batched syncs.
	proxies []proxy
	kpt     kpTiming
	// oneUpdate: this run's changes of one moment reach kube-proxy in
	// one EndpointSlice update (drawn per run).
	oneUpdate bool
	active    []*pod // in the data plane and not stopped (ip mode)

	// Traffic.
	nextArr  float64
	invRate  float64
	durTable quantiles
	ringSize int32

	// Accounting.
	run      Run
	causeIdx [nCauses]int // index+1 into run.Causes
	healthy  int
	phases   [nPhases]int32
	alive    int // pods that exist
	nextSec  float64

	// Stale conntrack entries on the nodes (instance targets): counts by
	// the second they expire in, a ring of ctSlots seconds; ctLive is
	// their sum, ctHead the first second not yet expired, ctPorts the
	// source ports new connections spread over.
	ct      [ctSlots]int32
	ctLive  int
	ctHead  int
	ctPorts float64

	// pinned is how many of the load balancer's kept-alive connections
	// kube-proxy pinned to each pod (instance targets).
	pinned float64
	// kp draws kube-proxy's pick for the connections the load balancer
	// reopens when a pod's app stops.
	kp *rand.Rand
	// pool holds the load balancer's kept-alive connections request by
	// request when it was given their number (Conns > 0, instance
	// targets).
	pool connPool

	// Nodes, for externalTrafficPolicy: Local; fresh counts the nodes
	// added for new pods.
	nodes []node
	fresh int32

	// Deployment.
	started          bool
	desired          int
	progressGen      int32
	deadlineExceeded bool
	doneAt           float64
	maxMarks         int
	// essential counts queued events that can still change what traffic
	// sees; the run ends Tail seconds after the last of them.
	essential int
	// afterEvent, when set, is called after each event (tests).
	afterEvent func()
}

// New runs are made with simulate.
func newSim(p Params, seed uint64) *sim {
	s := &sim{p: p, seed: seed, doneAt: -1, maxMarks: 400}
	s.rng = rand.New(rand.NewPCG(seed, 0x74726166666963))
	s.http = p.LB != timing.NLB
	s.ipMode = p.TargetType == timing.TargetIP
	for c := Cause(1); c < nCauses; c++ {
		s.class[c] = classOf(p.LB, c)
	}
	s.surge, s.unav, _ = p.Batch()
	if p.RPS > 0 {
		s.invRate = 1 / p.RPS
		s.nextArr = s.rng.ExpFloat64() * s.invRate
	} else {
		s.nextArr = math.Inf(1)
	}
	// As if one load-balancer address opened the new connections to each
	// node: the fewest source ports, so the most reuse.
	s.ctPorts = float64(timing.EphemeralPorts * max(p.Nodes, 1))
	s.durTable = durationTable(p.DurationMedian, p.DurationSigma, p.DurationMax)
	// Little's law: the requests in flight, each on a connection.
	mean := math.Min(p.DurationMedian*math.Exp(p.DurationSigma*p.DurationSigma/2), p.DurationMax)
	inFlight := p.RPS * mean
	conns := p.Conns
	if conns == 0 {
		conns = inFlight
	}
	// Whether this run's changes of one moment reach kube-proxy in one
	// EndpointSlice update (timing.KubeProxyOneUpdate), from a stream of
	// its own so that no other draw moves.
	one := rand.NewPCG(seed, 0x6f6e652d75706474)
	s.oneUpdate = float64(one.Uint64()>>11)/(1<<53) < timing.KubeProxyOneUpdate.Value
	ep := p.EndpointPropagation
	s.kpt = kpTiming(timing.SplitKubeProxy(ep.Min, max(ep.Max, ep.Min), p.KubeProxyParts))
	s.pinned = conns / float64(max(p.Replicas, 1))
	if p.Conns > 0 && !s.ipMode {
		// A load balancer whose connections were counted holds them in a
		// pool, request by request (pool.go): a stopped pod's connections
		// leave it when its app closes them, and a new one is opened
		// only when none is idle.
		s.pool.on, s.pool.size = true, conns
		s.pinned = 0
	}
	s.kp = rand.New(rand.NewPCG(seed, 0x6b7562652d70726f))
	nkp := 1
	if !s.ipMode {
		nkp = p.KubeProxies
		if nkp <= 0 {
			nkp = min(max(p.Nodes, 1), maxProxies)
		}
		nkp = min(nkp, maxProxies)
	}
	s.proxies = make([]proxy, nkp)
	for j := range s.proxies {
		s.proxies[j] = proxy{start: math.Inf(-1), end: math.Inf(-1), seen: math.Inf(-1), made: math.Inf(-1)}
	}
	s.routes = make([][]*pod, 1)
	if !p.LocalTraffic {
		s.routes = make([][]*pod, nkp)
	}
	s.ringSize = int32(math.Ceil(p.DurationMax/ringBucket)) + 3
	s.run.Seed = seed
	s.run.EventAt = p.Lead
	s.run.Done = -1
	s.run.MinHealthy = math.MaxInt
	return s
}

func (s *sim) schedule(t float64, k evKind, pod int32, gen int32) {
	if essential(k) {
		s.essential++
	}
	s.seq++
	heap.Push(&s.q, event{t: t, seq: s.seq, pod: pod, gen: gen, k: k})
}

func (s *sim) mark(format string, args ...any) {
	if len(s.run.Marks) >= s.maxMarks {
		s.run.MarksDropped++
		return
	}
	s.run.Marks = append(s.run.Marks, Mark{At: round3(s.now), What: fmt.Sprintf(format, args...)})
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

var inf = math.Inf(1)

// newPod creates a pod; steady makes it one that has been running,
// Ready and healthy in the load balancer since long before the run.
func (s *sim) newPod(rs int8, steady bool) *pod {
	id := int32(len(s.pods))
	r := rand.New(rand.NewPCG(s.seed^0x9e3779b97f4a7c15, uint64(id)*0xbf58476d1ce4e5b9+1))
	p := &pod{id: id, rs: rs, rng: r, created: s.now,
		listenStart: inf, listenEnd: inf, exitAt: inf, ipGone: inf, cut: inf,
		sigterm: inf, sigkill: inf, deletedAt: inf, readyAt: inf, node: -1}
	pp := &s.p
	p.pinned = s.pinned
	p.dStart = pp.PodStart.Sample(r)
	p.dApp = pp.AppStartup.Sample(r)
	p.dRegRec = pp.Reconcile.Sample(r)
	p.dDeregRec = pp.Reconcile.Sample(r)
	p.dRegProp = pp.RegisterPropagation.Sample(r)
	p.dDeregProp = pp.DeregisterPropagation.Sample(r)
	p.dKPAdd = pp.EndpointPropagation.Sample(r)
	p.dKPDel = pp.EndpointPropagation.Sample(r)
	p.hcFrac = r.Float64()
	switch pp.skew {
	case SkewLateJoin:
		p.dStart, p.dApp = pp.PodStart.Min, pp.AppStartup.Min
		p.dRegRec, p.dRegProp, p.dKPAdd = pp.Reconcile.Max, pp.RegisterPropagation.Max, pp.EndpointPropagation.Max
		p.dDeregRec, p.dDeregProp, p.dKPDel = pp.Reconcile.Min, pp.DeregisterPropagation.Min, pp.EndpointPropagation.Min
		p.hcFrac = 1
	case SkewEarlyJoin:
		p.dStart, p.dApp = pp.PodStart.Min, pp.AppStartup.Max
		p.dRegRec, p.dRegProp, p.dKPAdd = pp.Reconcile.Min, pp.RegisterPropagation.Min, pp.EndpointPropagation.Min
		p.dDeregRec, p.dDeregProp, p.dKPDel = pp.Reconcile.Max, pp.DeregisterPropagation.Max, pp.EndpointPropagation.Max
		p.hcFrac = 0
	}
	s.pods = append(s.pods, p)
	s.alive++
	if steady {
		p.node = id % int32(max(pp.Nodes, 1))
		p.onDrained = pp.Event == Drain && int(p.node) < pp.DrainNodes
		p.listenStart = math.Inf(-1)
		p.listening = true
		p.containersReady, p.gateOK, p.ready, p.avail = true, true, true, true
		p.readyAt = math.Inf(-1)
		p.phase = PhaseReady
		s.phases[PhaseReady]++
		if s.p.Probe != nil {
			p.probe = periodic{phase: 0, period: pp.Probe.Period, passN: pp.Probe.SuccessThreshold, failN: pp.Probe.FailureThreshold, initialPass: pp.Probe.SuccessThreshold, state: 1, running: true}
		}
		if s.ipMode && !pp.NoTargets {
			p.registered, p.inDP = true, true
			p.hc = s.newHealthCheck(p, -p.hcFrac*pp.HealthInterval)
			p.hc.state = 1
			p.healthy = true
			s.setHealthy(p, true)
			s.active = append(s.active, p)
		}
		if !s.ipMode {
			p.kpReady = 1<<len(s.proxies) - 1
			p.kpLast = kpBitReady
			s.setHealthy(p, true)
			if pp.LocalTraffic {
				n := s.node(p.node)
				n.local++
				n.inLB, n.want = true, true
			}
		}
		s.dirty = true
		return p
	}
	p.phase = PhasePending
	s.phases[PhasePending]++
	if pp.LocalTraffic {
		p.node = s.placeNode(id)
	}
	s.schedule(s.now+p.dStart, evContainerStart, id, 0)
	return p
}

// placeNode picks a node for a new pod: round-robin over the nodes a drain
// leaves, or over new nodes when it empties all of them.
func (s *sim) placeNode(id int32) int32 {
	pp := &s.p
	n := int32(max(pp.Nodes, 1))
	if pp.LocalTraffic && int(n) >= pp.Replicas {
		// One pod per node (see DefaultNodes): a new pod gets a node of
		// its own.
		s.fresh++
		return n + s.fresh - 1
	}
	if pp.Event != Drain || pp.DrainNodes == 0 {
		return id % n
	}
	if left := n - int32(pp.DrainNodes); left > 0 {
		return int32(pp.DrainNodes) + id%left
	}
	return n + id%n
}

// node returns node i, growing the list.
func (s *sim) node(i int32) *node {
	for int32(len(s.nodes)) <= i {
		k := len(s.nodes)
		r := rand.New(rand.NewPCG(s.seed^0x6e6f6465, uint64(k)+1))
		s.nodes = append(s.nodes, node{phase: r.Float64() * s.p.HealthInterval,
			sink: &pod{id: -1, sink: true, listenStart: inf, listenEnd: inf, exitAt: inf, ipGone: inf, cut: inf, node: int32(k)}})
	}
	return &s.nodes[i]
}

// localChanged follows a change of a node's local endpoint count: the
// load balancer's health check of the node passes after HealthyThreshold
// checks once it has one, and fails after UnhealthyThreshold checks once it
// has none, and the load balancer acts on that after its propagation delay.
func (s *sim) localChanged(i int32, delta int, r *rand.Rand) {
	n := s.node(i)
	n.local += delta
	want := n.local > 0
	if want == n.want {
		return
	}
	n.want = want
	n.gen++
	pp := &s.p
	first := n.phase
	if s.now > first {
		first += math.Ceil((s.now-first)/pp.HealthInterval) * pp.HealthInterval
	}
	var at float64
	// Under a skew the node joins late and leaves early (SkewLateJoin), or
	// the other way round.
	late := pp.skew == SkewLateJoin
	if want {
		d := pp.RegisterPropagation
		if pp.skew != SkewNone {
			d = d.end(late)
		}
		at = first + float64(pp.HealthyThreshold-1)*pp.HealthInterval + d.Sample(r)
	} else {
		d := pp.DeregisterPropagation
		if pp.skew != SkewNone {
			d = d.end(!late)
		}
		at = first + float64(pp.UnhealthyThreshold-1)*pp.HealthInterval + d.Sample(r)
	}
	s.schedule(at, evNode, i, n.gen)
}

func (s *sim) newHealthCheck(p *pod, phase float64) periodic {
	initial := s.p.HealthyThreshold
	if s.p.LB == timing.ALB {
		initial = 1 // a new ALB target is healthy after one passed check
	}
	return periodic{phase: phase, period: s.p.HealthInterval, passN: s.p.HealthyThreshold,
		failN: s.p.UnhealthyThreshold, initialPass: initial, running: true}
}

func (s *sim) setPhase(p *pod, ph Phase) {
	if p.phase == ph {
		return
	}
	if p.phase < nPhases {
		s.phases[p.phase]--
	}
	p.phase = ph
	if ph < nPhases {
		s.phases[ph]++
	}
}

// setHealthy keeps the healthy-target count: ip targets healthy in the
// load balancer and not deregistered, or ready kube-proxy endpoints.
func (s *sim) setHealthy(p *pod, h bool) {
	if p.counted == h {
		return
	}
	p.counted = h
	if h {
		s.healthy++
	} else {
		s.healthy--
	}
	if s.started && s.healthy < s.run.MinHealthy {
		s.run.MinHealthy = s.healthy
	}
}

// reachable is what a check of the pod sees now.
func (p *pod) passes() bool { return p.listening && !p.exited }

// run executes the simulation.
func (s *sim) runAll() *Run {
	p := &s.p
	for i := 0; i < p.Replicas; i++ {
		s.newPod(0, true)
	}
	s.desired = p.Replicas
	s.run.PeakPods = s.alive
	s.schedule(p.Lead, evStart, -1, 0)
	end := inf
	for {
		// The run ends Tail seconds after the last essential event; an
		// event inside the tail that schedules essential ones (a retried
		// eviction that now succeeds) extends it.
		if s.essential > 0 {
			end = inf
		} else if end == inf {
			end = max(s.now, p.Lead) + p.Tail
		}
		next := inf
		if len(s.q) > 0 {
			next = s.q[0].t
		}
		if end == inf && next > MaxVirtual {
			end = MaxVirtual
			s.run.Capped = true
		}
		stop := min(next, s.nextSec, end)
		s.traffic(stop)
		s.now = stop
		if stop == end {
			break
		}
		if stop == s.nextSec {
			s.sample()
			s.nextSec++
			continue
		}
		ev := heap.Pop(&s.q).(event)
		if essential(ev.k) {
			s.essential--
		}
		s.handle(ev)
		if s.afterEvent != nil {
			s.afterEvent()
		}
	}
	s.finish(end)
	return &s.run
}

// essential reports whether an event can still change what traffic sees.
// A progress deadline, the end of draining and a drain's retry of an
// eviction the budget refused cannot by themselves: if nothing else is
// pending, the budget never allows the eviction and the drain hangs.
func essential(k evKind) bool {
	return k != evDeadline && k != evDrainEnd && k != evRetry
}

// runAllWith runs with a hook called after every event.
func (s *sim) runAllWith(hook func()) *Run {
	s.afterEvent = hook
	return s.runAll()
}

// sample records the gauges of the second that starts now.
func (s *sim) sample() {
	sec := int(s.now)
	s.grow(sec)
	g := &s.run.Timeline[sec]
	g.Pods = s.phases
	g.Gauges.Healthy = int32(s.healthy)
	if s.dirty {
		s.rebuild()
	}
	g.Gauges.Routable = int32(len(s.routable))
}

func (s *sim) grow(sec int) {
	for len(s.run.Timeline) <= sec {
		s.run.Timeline = append(s.run.Timeline, Second{})
	}
}

func (s *sim) finish(end float64) {
	s.run.End = round3(end)
	s.run.Done = -1
	if s.doneAt >= 0 {
		s.run.Done = round3(s.doneAt)
	}
	if s.run.MinHealthy == math.MaxInt {
		s.run.MinHealthy = s.healthy
	}
	s.run.DeadlineExceeded = s.deadlineExceeded
	// Requests still in flight at the end complete: they were counted ok
	// when routed. Trim the timeline to the end of the run.
	n := int(math.Ceil(end))
	if len(s.run.Timeline) > n {
		// OK counts beyond the end belong to requests that end after it;
		// fold them into the last second.
		for i := n; i < len(s.run.Timeline); i++ {
			s.run.Timeline[n-1].OK += s.run.Timeline[i].OK
		}
		s.run.Timeline = s.run.Timeline[:n]
	}
	var failed int64
	for _, c := range FailureClasses() {
		failed += s.run.Failures[c]
	}
	s.run.OK = s.run.Total - failed
	s.run.Failures[OK] = s.run.OK
}

func (s *sim) handle(ev event) {
	var p *pod
	if ev.pod >= 0 && ev.k != evNode {
		p = s.pods[ev.pod]
	}
	switch ev.k {
	case evStart:
		s.start()
	case evContainerStart:
		s.containerStart(p)
	case evAppListen:
		if p.exited || p.terminating && p.sigterm <= s.now && s.p.App != AppIgnore {
			return
		}
		p.listening = true
		s.checksChanged(p)
	case evProbe:
		if ev.gen != p.probe.gen {
			return
		}
		p.probe.state = s.pendingState(&p.probe)
		cr := p.probe.state == 1
		if cr != p.containersReady {
			p.containersReady = cr
			s.readinessChanged(p)
		}
	case evAvailable:
		if ev.gen != p.gen || !p.ready || p.terminating {
			return
		}
		p.avail = true
		if p.rs == 1 {
			s.progress()
		}
		s.sync()
	case evLBC:
		s.reconcileTarget(p)
	case evDPAdd:
		if p.draining || !p.registered {
			return
		}
		p.inDP = true
		p.hc = s.newHealthCheck(p, s.now+p.hcFrac*s.p.HealthInterval)
		s.active = append(s.active, p)
		s.checksChanged(p)
	case evHealth:
		if ev.gen != p.hc.gen || !p.hc.running {
			return
		}
		p.hc.state = s.pendingState(&p.hc)
		was := p.healthy
		p.healthy = p.hc.state == 1
		if was != p.healthy {
			s.setHealthy(p, p.healthy && !p.draining)
			s.dirty = true
			if p.healthy && s.p.Gate && !p.gateOK {
				// The controller polls target health every GateRequeue
				// seconds from the registration on.
				k := math.Ceil((s.now - p.regAt) / s.p.GateRequeue)
				s.schedule(p.regAt+k*s.p.GateRequeue, evGate, p.id, 0)
			}
		}
	case evGate:
		if p.gateOK || p.terminating {
			return
		}
		p.gateOK = true
		s.readinessChanged(p)
	case evStopSending:
		p.stopped = true
		s.dirty = true
		s.mark("load balancer stops sending to pod %d", p.id)
	case evDrainEnd:
		// The target leaves the target group (draining → unused).
		p.inDP = false
	case evKubeProxy:
		s.kubeProxy(p, int(ev.gen>>2), uint8(ev.gen&3))
	case evSIGTERM:
		s.sigterm(p)
	case evSIGKILL:
		if !p.exited {
			s.mark("SIGKILL pod %d", p.id)
			s.exit(p)
		}
	case evExit:
		s.exit(p)
	case evGone:
		p.gone = true
		s.setPhase(p, phaseGone)
		s.alive--
		s.sync()
	case evEvict, evRetry:
		s.evict(p)
	case evNode:
		n := &s.nodes[ev.pod]
		if ev.gen == n.gen && n.inLB != n.want {
			n.inLB = n.want
			s.dirty = true
			if n.inLB {
				s.mark("node %d passes the load balancer's health check", ev.pod)
			} else {
				s.mark("node %d fails the load balancer's health check and leaves it", ev.pod)
			}
		}
	case evDeadline:
		if ev.gen == s.progressGen && s.doneAt < 0 && !s.deadlineExceeded {
			s.deadlineExceeded = true
			s.mark("progress deadline exceeded")
		}
	}
}

// pendingState is the state a check's scheduled transition leads to.
func (s *sim) pendingState(c *periodic) int8 {
	if c.state == 1 {
		return -1
	}
	if c.state == -1 {
		return 1
	}
	// From the initial state the transition recorded its direction in
	// the sign of gen's low bit; see scheduleCheck.
	if c.gen&1 == 1 {
		return 1
	}
	return -1
}

// scheduleCheck schedules the next transition of c for the result the
// pod's checks now get. gen's low bit carries the direction.
func (s *sim) scheduleCheck(c *periodic, pass bool, k evKind, id int32) {
	if !c.running {
		return
	}
	c.gen = (c.gen + 2) &^ 1
	at, to, ok := c.change(s.now, pass)
	if !ok {
		return
	}
	if to == 1 {
		c.gen |= 1
	}
	s.schedule(at, k, id, c.gen)
}

// checksChanged re-plans the pod's probe and health check after what they
// see changed.
func (s *sim) checksChanged(p *pod) {
	pass := p.passes()
	if s.p.Probe != nil && p.probe.running {
		s.scheduleCheck(&p.probe, pass, evProbe, p.id)
	}
	if p.inDP && !p.draining {
		s.scheduleCheck(&p.hc, pass, evHealth, p.id)
	}
}

func (s *sim) containerStart(p *pod) {
	if p.terminating {
		return
	}
	s.setPhase(p, PhaseStarting)
	p.listenStart = s.now + p.dApp
	s.schedule(p.listenStart, evAppListen, p.id, 0)
	if pr := s.p.Probe; pr != nil {
		p.probe = periodic{phase: s.now + pr.InitialDelay, period: pr.Period, passN: pr.SuccessThreshold,
			failN: pr.FailureThreshold, initialPass: pr.SuccessThreshold, running: true}
		s.scheduleCheck(&p.probe, p.passes(), evProbe, p.id)
		return
	}
	// No probe: the container is ready as soon as it runs.
	p.containersReady = true
	s.readinessChanged(p)
}

// readinessChanged follows a change of containers-ready or the gate.
func (s *sim) readinessChanged(p *pod) {
	ready := p.containersReady && (!s.p.Gate || p.gateOK) && !p.exited
	if ready != p.ready {
		p.ready = ready
		p.gen++
		if ready {
			p.readyAt = s.now
			if !p.terminating {
				s.setPhase(p, PhaseReady)
			}
			s.schedule(s.now+s.p.MinReadySeconds, evAvailable, p.id, p.gen)
		} else {
			p.avail = false
			if !p.terminating {
				s.setPhase(p, PhaseStarting)
			}
		}
	}
	s.endpointChanged(p)
	s.sync()
}

// registrable is whether the controller wants the pod in the target group:
// a ready endpoint, or, with a readiness gate, ready containers (the gate
// waits on the target's health) of a pod that is not terminating.
func (s *sim) registrable(p *pod) bool {
	if p.terminating || p.exited {
		return false
	}
	return p.ready || (s.p.Gate && p.containersReady)
}

// endpointChanged passes a pod's endpoint change to the controller (ip
// targets) or kube-proxy (instance targets), each after its delay.
func (s *sim) endpointChanged(p *pod) {
	if s.ipMode {
		if s.p.NoTargets || s.p.Frozen {
			return
		}
		want := s.registrable(p)
		switch {
		case want && !p.registered:
			s.schedule(s.now+p.dRegRec, evLBC, p.id, 0)
		case !want && p.registered && !p.draining:
			s.schedule(s.now+p.dDeregRec, evLBC, p.id, 0)
		}
		return
	}
	var st uint8
	if p.ready && !p.exited {
		st = kpBitReady
		if p.terminating {
			st = kpBitServing
		}
	}
	if st == p.kpLast {
		return
	}
	p.kpLast = st
	if s.p.skew != SkewNone {
		// At a skew each change takes its pod's delay at the picked end,
		// and kube-proxy applies the pod's state at that moment (the
		// model before batched syncs, which the agreement's skewed runs
		// judge).
		d := p.dKPDel
		if st == kpBitReady {
			d = p.dKPAdd
		}
		for j := range s.proxies {
			s.schedule(s.now+d, evKubeProxy, p.id, int32(j)<<2|kpNow)
		}
		return
	}
	for j := range s.proxies {
		s.schedule(s.proxies[j].apply(s.now, &s.kpt, p.rng, s.oneUpdate), evKubeProxy, p.id, int32(j)<<2|int32(st))
	}
}

// kube-proxy's state of an endpoint, carried by its evKubeProxy events.
const (
	kpBitReady   = 1
	kpBitServing = 2
	// kpNow: apply the pod's state at the event (skewed runs).
	kpNow = 3
)

// maxProxies bounds the kube-proxies a run follows: nodes beyond it share
// the draws of one of them.
const maxProxies = 16

// proxy is one node's kube-proxy: it applies endpoint changes in serial,
// batched syncs (timing.KubeProxySyncs). start and end are those of its
// last sync; seen is when it saw the last change (changes reach it in
// order: one EndpointSlice, written and watched in order); made is when
// the last change was made.
type proxy struct {
	start, end, seen, made float64
}

// kpTiming is timing.SplitKubeProxy of the run's endpoint propagation.
type kpTiming timing.KubeProxySplit

// apply returns when kube-proxy's rules have a change made at t: the end
// of the sync that takes it, the one pending when it arrives or else a new
// one, which starts at once unless the last one ended less than the min
// sync period before. The draws come from the changed pod's stream, so that
// they do not depend on how many changes other pods made before. With one
// set, a change made at the same moment as the last one came in the same
// EndpointSlice update and the same sync takes it (the draws are still
// made, so that the pod's stream stays where it would be).
func (k *proxy) apply(t float64, kt *kpTiming, r *rand.Rand, one bool) float64 {
	o := kt.ObserveLow
	u, v := r.Float64(), r.Float64()
	if one && t == k.made {
		return k.end
	}
	k.made = t
	if kt.ObserveHigh > kt.ObserveLow {
		o += u * (kt.ObserveHigh - kt.ObserveLow)
	}
	o = max(t+o, k.seen)
	k.seen = o
	if o < k.start {
		return k.end // the pending sync takes it
	}
	k.start = max(o, k.end+kt.MinSync)
	d := kt.SyncLow + v*(kt.SyncHigh-kt.SyncLow)
	k.end = k.start + d
	return k.end
}

// reconcileTarget is the controller registering or deregistering a pod.
func (s *sim) reconcileTarget(p *pod) {
	want := s.registrable(p)
	switch {
	case want && !p.registered:
		p.registered = true
		p.regAt = s.now
		s.schedule(s.now+p.dRegProp, evDPAdd, p.id, 0)
	case !want && p.registered && !p.draining:
		p.draining = true
		p.hc.running = false // draining targets are not health-checked
		s.setHealthy(p, false)
		s.schedule(s.now+p.dDeregProp, evStopSending, p.id, 0)
		s.schedule(s.now+s.p.DeregistrationDelay, evDrainEnd, p.id, 0)
		s.mark("controller deregisters pod %d", p.id)
		if s.http || s.p.ConnTermination {
			s.setCut(p, s.now+s.p.DeregistrationDelay, CauseDeregEnd)
		}
	}
}

// kubeProxy is kube-proxy j's sync putting the pod's endpoint in state st
// (kpBitReady, kpBitServing, 0 for gone; kpNow: the pod's state now).
func (s *sim) kubeProxy(p *pod, j int, st uint8) {
	if st == kpNow {
		st = 0
		if p.ready && !p.exited {
			st = kpBitReady
			if p.terminating {
				st = kpBitServing
			}
		}
	}
	bit := uint64(1) << j
	ready, serving := st == kpBitReady, st == kpBitServing
	if ready == (p.kpReady&bit != 0) && serving == (p.kpServing&bit != 0) {
		return
	}
	if j == s.refProxy(p) {
		if s.p.LocalTraffic && ready != (p.kpReady&bit != 0) {
			d := 1
			if !ready {
				d = -1
			}
			s.localChanged(p.node, d, p.rng)
		}
		s.setHealthy(p, ready)
	}
	p.kpReady &^= bit
	p.kpServing &^= bit
	if ready {
		p.kpReady |= bit
	}
	if serving {
		p.kpServing |= bit
	}
	s.dirty = true
}

// refProxy is the kube-proxy whose rules decide whether a pod counts as a
// healthy endpoint: its own node's behind externalTrafficPolicy: Local
// (the only one that forwards to it), else the first.
func (s *sim) refProxy(p *pod) int {
	if s.p.LocalTraffic && p.node >= 0 {
		return int(p.node) % len(s.proxies)
	}
	return 0
}

// rebuild recomputes where new requests go.
func (s *sim) rebuild() {
	s.dirty = false
	s.routable = s.routable[:0]
	if s.p.NoTargets {
		for j := range s.routes {
			s.routes[j] = s.routes[j][:0]
		}
		return
	}
	if s.ipMode {
		keep := s.active[:0]
		for _, p := range s.active {
			if !p.stopped {
				keep = append(keep, p)
			}
		}
		for i := len(keep); i < len(s.active); i++ {
			s.active[i] = nil
		}
		s.active = keep
		for _, p := range keep {
			if p.healthy {
				s.routable = append(s.routable, p)
			}
		}
		if len(s.routable) == 0 {
			// Fail open: with no healthy target the load balancer routes
			// to every registered target that has been checked unhealthy
			// (new targets in initial state and draining ones are not
			// routed to).
			for _, p := range keep {
				if p.hc.state == -1 && !p.draining {
					s.routable = append(s.routable, p)
				}
			}
			// A draining target whose stop-sending has not propagated
			// yet keeps getting traffic whatever its health.
		}
		if len(s.routable) > 0 && !s.routable[0].draining || len(s.routable) == 0 {
			for _, p := range keep {
				if p.draining && p.healthy && p.hc.state != -1 {
					s.routable = append(s.routable, p)
				}
			}
		}
	} else if s.p.LocalTraffic {
		s.rebuildLocal()
	} else {
		for j := range s.routes {
			bit := uint64(1) << j
			r := s.routes[j][:0]
			for _, p := range s.pods {
				if p.kpReady&bit != 0 {
					r = append(r, p)
				}
			}
			if len(r) == 0 {
				for _, p := range s.pods {
					if p.kpServing&bit != 0 {
						r = append(r, p)
					}
				}
			}
			s.routes[j] = r
		}
		s.routable = s.routes[0]
	}
	s.routes[0] = s.routable
	if s.rr >= len(s.routable) {
		s.rr = 0
	}
}

// rebuildLocal routes to the nodes in the load balancer (all of them when
// none is: a load balancer with no healthy target fails open): to their
// ready local endpoints, else their terminating serving ones, else to the
// node's sink, where kube-proxy drops the request.
func (s *sim) rebuildLocal() {
	any := false
	for i := range s.nodes {
		any = any || s.nodes[i].inLB
	}
	for i := range s.nodes {
		n := &s.nodes[i]
		if any && !n.inLB {
			continue
		}
		mark := len(s.routable)
		bit := uint64(1) << (i % len(s.proxies))
		for _, p := range s.pods {
			if p.node == int32(i) && p.kpReady&bit != 0 {
				s.routable = append(s.routable, p)
			}
		}
		if len(s.routable) == mark {
			for _, p := range s.pods {
				if p.node == int32(i) && p.kpServing&bit != 0 {
					s.routable = append(s.routable, p)
				}
			}
		}
		if len(s.routable) == mark && any {
			s.routable = append(s.routable, n.sink)
		}
	}
	if !any {
		// Failing open, the load balancer sends to every registered node,
		// and a cluster has nodes that run no pod of this workload (the
		// controller registers them all): kube-proxy there drops what
		// arrives. One such node stands for them.
		if s.idle == nil {
			s.idle = &pod{id: -1, sink: true, listenStart: inf, listenEnd: inf, exitAt: inf, ipGone: inf, cut: inf, node: -1}
		}
		s.routable = append(s.routable, s.idle)
	}
}

// deletePod starts a pod's termination: endpoints and controller learn of
// it, the kubelet runs preStop, then SIGTERM, then SIGKILL.
func (s *sim) deletePod(p *pod, why string) {
	if p.terminating {
		return
	}
	p.terminating = true
	p.deletedAt = s.now
	p.gen++
	p.avail = false
	s.setPhase(p, PhaseTerminating)
	s.mark("%s pod %d", why, p.id)
	pr := &s.p
	s.endpointChanged(p)
	term, kill := timing.Signals(pr.PreStop, pr.Grace)
	p.sigterm, p.sigkill = s.now+term, s.now+kill
	switch pr.App {
	case AppDrain:
		p.listenEnd = min(p.listenEnd, p.sigterm)
		s.setCut(p, p.sigkill, CauseKilled)
	case AppExit:
		p.listenEnd = min(p.listenEnd, p.sigterm)
		p.exitAt = p.sigterm
		s.setCut(p, p.sigterm, CauseExitInFlight)
	case AppIgnore:
		p.listenEnd = min(p.listenEnd, p.sigkill)
		p.exitAt = p.sigkill
		s.setCut(p, p.sigkill, CauseKilled)
	}
	s.schedule(p.sigterm, evSIGTERM, p.id, 0)
	s.schedule(p.sigkill, evSIGKILL, p.id, 0)
}

func (s *sim) sigterm(p *pod) {
	if p.exited {
		return
	}
	s.mark("SIGTERM pod %d", p.id)
	switch s.p.App {
	case AppDrain:
		p.listening = false
		// The app exits once its last request is done.
		last := s.lastInFlight(p)
		p.exitAt = min(max(s.now, last), p.sigkill)
		s.schedule(p.exitAt, evExit, p.id, 0)
		s.checksChanged(p)
	case AppExit:
		s.exit(p)
	case AppIgnore:
	}
}

func (s *sim) exit(p *pod) {
	if p.exited {
		return
	}
	p.exited = true
	p.listening = false
	p.exitAt = s.now
	p.listenEnd = min(p.listenEnd, s.now)
	p.ipGone = s.now + s.p.SandboxTeardown
	if p.ready {
		p.ready = false
		s.endpointChanged(p)
	}
	s.checksChanged(p)
	if s.p.Probe != nil {
		p.probe.running = false
	}
	s.schedule(p.ipGone, evGone, p.id, 0)
}

// setCut records that requests on p in flight past t fail with cause c,
// and fails those already routed there.
func (s *sim) setCut(p *pod, t float64, c Cause) {
	if t >= p.cut {
		return
	}
	p.cut, p.cutCause = t, c
	if p.ring == nil {
		return
	}
	bc := int32(t / ringBucket)
	cls := s.class[c]
	for i := range p.ring {
		e := &p.ring[i]
		if e.n > 0 && e.b > bc {
			n := int64(e.n)
			s.run.Timeline[int(e.b)/10].OK -= n
			s.fail(t, c, cls, n)
			e.n = 0
		}
	}
}

// lastInFlight is when p's last routed request ends.
func (s *sim) lastInFlight(p *pod) float64 {
	last := s.now
	now := int32(s.now / ringBucket)
	for _, e := range p.ring {
		if e.n > 0 && e.b >= now {
			last = max(last, float64(e.b+1)*ringBucket)
		}
	}
	return last
}

func (s *sim) fail(t float64, c Cause, cls Class, n int64) {
	s.run.Failures[cls] += n
	sec := int(t)
	s.grow(sec)
	s.run.Timeline[sec].Failed[cls] += n
	i := s.causeIdx[c]
	if i == 0 {
		s.run.Causes = append(s.run.Causes, CauseCount{Cause: c, Class: cls, From: t, To: t})
		i = len(s.run.Causes)
		s.causeIdx[c] = i
	}
	cc := &s.run.Causes[i-1]
	cc.Count += n
	cc.From = min(cc.From, t)
	cc.To = max(cc.To, t)
}

// start begins the event.
func (s *sim) start() {
	s.started = true
	s.run.MinHealthy = s.healthy
	p := &s.p
	switch p.Event {
	case Rollout:
		s.mark("rollout starts (%s, maxSurge %d, maxUnavailable %d)", p.Strategy, s.surge, s.unav)
		s.progress()
		s.sync()
	case ScaleIn:
		s.mark("scale in from %d to %d replicas", p.Replicas, p.ScaleTo)
		s.desired = p.ScaleTo
		for i := len(s.pods) - 1; i >= 0 && s.count(0, false) > p.ScaleTo; i-- {
			s.deletePod(s.pods[i], "scale-in deletes")
		}
		s.sync()
	case Drain:
		s.mark("drain %d of %d nodes", p.DrainNodes, p.Nodes)
		for _, q := range s.pods {
			if q.onDrained {
				q.evicting = true
				s.schedule(s.now, evEvict, q.id, 0)
			}
		}
		s.sync()
	}
}

// count counts pods of a template that are not terminating; avail counts
// only available ones.
func (s *sim) count(rs int8, avail bool) int {
	n := 0
	for _, p := range s.pods {
		if p.rs == rs && !p.terminating && !p.gone && (!avail || p.avail) {
			n++
		}
	}
	return n
}

func (s *sim) progress() {
	if s.p.Event != Rollout || s.p.ProgressDeadline <= 0 {
		return
	}
	s.progressGen++
	s.schedule(s.now+s.p.ProgressDeadline, evDeadline, -1, s.progressGen)
}

// evict is one eviction request of a drain: the API allows it while the
// budget has a disruption to spare, else the drain retries later.
func (s *sim) evict(p *pod) {
	if p.terminating || p.gone {
		return
	}
	if b := s.p.PDB; b != nil {
		healthy := 0
		for _, q := range s.pods {
			if q.ready && !q.terminating && !q.gone {
				healthy++
			}
		}
		if healthy-b.desiredHealthy(s.p.Replicas) < 1 {
			s.schedule(s.now+DrainRetry, evRetry, p.id, 0)
			return
		}
	}
	s.deletePod(p, "drain evicts")
	s.sync()
}

// sync is the Deployment and ReplicaSet controllers acting on what they see.
func (s *sim) sync() {
	if !s.started {
		return
	}
	p := &s.p
	for range 4 {
		changed := false
		switch p.Event {
		case Rollout:
			if p.Strategy == "Recreate" {
				changed = s.syncRecreate()
			} else {
				changed = s.syncRolling()
			}
		case ScaleIn, Drain:
			for s.count(0, false) < s.desired {
				np := s.newPod(0, false)
				s.mark("replacement pod %d created", np.id)
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	s.run.PeakPods = max(s.run.PeakPods, s.alive)
	if s.doneAt < 0 && s.done() {
		s.doneAt = s.now
		s.mark("%s complete", p.Event)
	}
}

func (s *sim) done() bool {
	p := &s.p
	switch p.Event {
	case Rollout:
		return s.count(1, false) == p.Replicas && s.count(1, true) == p.Replicas && s.count(0, false) == 0
	case ScaleIn:
		for _, q := range s.pods {
			if q.terminating && !q.gone {
				return false
			}
		}
		return true
	case Drain:
		for _, q := range s.pods {
			if q.onDrained && !q.gone {
				return false
			}
		}
		return s.count(0, true) == p.Replicas
	}
	return false
}

func (s *sim) syncRecreate() bool {
	old := 0
	for _, q := range s.pods {
		if q.rs == 0 && !q.gone {
			old++
			if !q.terminating {
				s.deletePod(q, "recreate deletes")
			}
		}
	}
	if old > 0 {
		return false
	}
	changed := false
	for s.count(1, false) < s.p.Replicas {
		np := s.newPod(1, false)
		s.mark("new pod %d created", np.id)
		changed = true
	}
	if changed {
		s.progress()
	}
	return changed
}

// syncRolling is one pass of the Deployment controller's rolling update:
// scale the new ReplicaSet up within maxSurge, then the old one down while
// keeping replicas − maxUnavailable pods available.
func (s *sim) syncRolling() bool {
	r := s.p.Replicas
	changed := false
	newN, oldN := s.count(1, false), s.count(0, false)
	if newN < r {
		if maxTotal := r + s.surge; newN+oldN < maxTotal {
			up := min(maxTotal-newN-oldN, r-newN)
			for range up {
				np := s.newPod(1, false)
				s.mark("new pod %d created", np.id)
			}
			if up > 0 {
				changed = true
				s.progress()
			}
			newN += up
		}
	}
	if oldN == 0 {
		return changed
	}
	minAvail := r - s.unav
	newAvail := s.count(1, true)
	maxScaledDown := newN + oldN - minAvail - (newN - newAvail)
	if maxScaledDown <= 0 {
		return changed
	}
	// Unavailable old pods go first, as far as maxScaledDown allows.
	down := 0
	for _, q := range s.pods {
		if down >= maxScaledDown {
			break
		}
		if q.rs == 0 && !q.terminating && !q.gone && !q.avail {
			s.deletePod(q, "rollout deletes old")
			down++
		}
	}
	avail := s.count(0, true) + newAvail
	if more := avail - minAvail; more > 0 {
		// The ReplicaSet removes the pods Ready for the shortest time first.
		for i := len(s.pods) - 1; i >= 0 && more > 0; i-- {
			q := s.pods[i]
			if q.rs == 0 && !q.terminating && !q.gone {
				s.deletePod(q, "rollout deletes old")
				more--
				down++
			}
		}
	}
	if down > 0 {
		changed = true
		s.progress()
	}
	return changed
}
