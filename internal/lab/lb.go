package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zerodrop/zerodrop/pkg/sim"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// checkTarget guards every target address, and dialAddr maps a target's
// address to the one the proxy and the health checks connect to; tests swap
// them to reach servers on 127.0.0.0/8 (which an EndpointSlice cannot hold).
var (
	checkTarget = CheckAddr
	dialAddr    = func(a netip.AddrPort) netip.AddrPort { return a }
)

// GatePrefix starts the readiness-gate condition type the AWS Load Balancer
// Controller injects and sets: target-health.elbv2.k8s.aws/<binding>.
const GatePrefix = "target-health.elbv2.k8s.aws/"

// TargetGroup is what the emulator plays: one target group of one load
// balancer, with the settings the manifests give it (read the way check
// reads them, see FromManifests) and the delays of the timing profile.
type TargetGroup struct {
	// Namespace and Service whose endpoints become targets.
	Namespace, Service string
	// ServicePort is the Service port the load balancer targets.
	ServicePort corev1.ServicePort
	// IP: ip targets (pod IPs); otherwise instance targets (node IP and
	// the Service's node port, through kube-proxy).
	IP bool
	// HTTP: an ALB (an HTTP proxy); otherwise an NLB (TCP, flows pinned).
	HTTP bool
	// HealthPath is the health check's HTTP path; empty means a TCP check.
	HealthPath string
	// HealthPort is a fixed health-check port; 0 means the traffic port.
	HealthPort int
	Interval   time.Duration
	Timeout    time.Duration
	// HealthyThreshold and UnhealthyThreshold count consecutive checks;
	// NewTargetChecks is how many passed checks make a new target healthy
	// (one on an ALB, the healthy threshold on an NLB).
	HealthyThreshold, UnhealthyThreshold, NewTargetChecks int
	DeregistrationDelay                                   time.Duration
	// ConnectionTermination closes a deregistered target's connections
	// when its deregistration delay ends (always so on an ALB; an NLB
	// attribute).
	ConnectionTermination bool
	// Delays: each drawn anew for every target from the distribution the
	// simulator uses for the same profile.
	Reconcile, RegisterPropagation, DeregisterPropagation sim.Dist
	// GateRequeue: how often the controller re-reads target health while a
	// readiness gate waits.
	GateRequeue time.Duration
	// IdleTimeout of the load balancer's connections.
	IdleTimeout time.Duration
}

// Emulator is one running target group: the controller half (watches
// EndpointSlices and pods, registers and deregisters targets, sets the
// readiness-gate condition) and the data-plane half (health checks, and an
// HAProxy whose servers it switches between ready, drain and maint).
type Emulator struct {
	tg     TargetGroup
	client kubernetes.Interface
	hap    *HAProxy
	logf   func(format string, args ...any)
	start  time.Time

	ctx context.Context
	// loop runs every state change, one at a time.
	loop chan func()

	mu       sync.Mutex // guards rng (timers draw from it)
	rng      *rand.Rand
	targets  map[string]*target // by "ip:port"
	slots    [Slots]*target
	podInf   cache.SharedIndexInformer
	sliceInf cache.SharedIndexInformer
	nodePort int32
}

type target struct {
	key      string
	addr     netip.AddrPort
	pod      string // empty for instance targets
	slot     int
	state    string // HAProxy state last set
	reg      bool   // registered (until its deregistration)
	regAt    time.Time
	inDP     bool // the data plane knows it (health checks run)
	draining bool
	stopped  bool // the data plane sends it no new requests
	pending  bool // a reconcile is scheduled
	health   int  // 0 initial, 1 healthy, -1 unhealthy
	passes   int
	fails    int
	stopHC   chan struct{}
	gate     string // readiness-gate condition type, if the pod has one
	gateSet  bool
	ended    bool
}

// NewEmulator starts HAProxy on listen and prepares the controller; Run
// starts it.
func NewEmulator(ctx context.Context, tg TargetGroup, client kubernetes.Interface, haproxyBin, dir, listen string, seed uint64, logf func(string, ...any)) (*Emulator, error) {
	if tg.Interval <= 0 || tg.Timeout <= 0 || tg.HealthyThreshold < 1 || tg.UnhealthyThreshold < 1 {
		return nil, fmt.Errorf("target group %s/%s: health check interval, timeout and thresholds must be positive", tg.Namespace, tg.Service)
	}
	if tg.NewTargetChecks < 1 {
		tg.NewTargetChecks = tg.HealthyThreshold
	}
	if tg.IdleTimeout <= 0 {
		tg.IdleTimeout = 60 * time.Second
	}
	hap, err := StartHAProxy(ctx, haproxyBin, dir, listen, tg.HTTP, tg.IdleTimeout)
	if err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	e := &Emulator{tg: tg, client: client, hap: hap, logf: logf, start: time.Now(), ctx: ctx,
		loop: make(chan func(), 1024), rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		targets: map[string]*target{}}
	return e, nil
}

func (e *Emulator) log(format string, args ...any) {
	e.logf("%7.3fs lb: %s", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

func (e *Emulator) draw(d sim.Dist) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Duration(d.Sample(e.rng) * float64(time.Second))
}

func (e *Emulator) frac() float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rng.Float64()
}

// post runs f on the loop.
func (e *Emulator) post(f func()) {
	select {
	case e.loop <- f:
	case <-e.ctx.Done():
	}
}

// after runs f on the loop after d.
func (e *Emulator) after(d time.Duration, f func()) {
	time.AfterFunc(d, func() { e.post(f) })
}

// Run watches the cluster and plays the target group until the context
// given to NewEmulator ends, then stops HAProxy.
func (e *Emulator) Run() error {
	ctx := e.ctx
	defer e.hap.Stop()
	defer func() {
		for _, t := range e.targets {
			if t.stopHC != nil {
				close(t.stopHC)
				t.stopHC = nil
			}
		}
	}()
	factory := informers.NewSharedInformerFactoryWithOptions(e.client, 0, informers.WithNamespace(e.tg.Namespace))
	e.podInf = factory.Core().V1().Pods().Informer()
	e.sliceInf = factory.Discovery().V1().EndpointSlices().Informer()
	changed := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { e.post(e.reconcileAll) },
		UpdateFunc: func(any, any) { e.post(e.reconcileAll) },
		DeleteFunc: func(any) { e.post(e.reconcileAll) },
	}
	if e.tg.IP {
		e.podInf.AddEventHandler(changed)
		e.sliceInf.AddEventHandler(changed)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), e.podInf.HasSynced, e.sliceInf.HasSynced) {
		return ctx.Err()
	}
	if err := e.initial(ctx); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case f := <-e.loop:
			f()
		}
	}
}

// initial registers what the target group holds before anything happens:
// the current registrable endpoints (ip targets) or every node (instance
// targets), as a controller that has long been running would have them.
func (e *Emulator) initial(ctx context.Context) error {
	if e.tg.IP {
		for key, ep := range e.endpoints() {
			if ep.registrable {
				t := e.newTarget(key, ep)
				e.register(t, 0)
				e.steady(t)
			}
		}
		e.route()
		return nil
	}
	svc, err := e.client.CoreV1().Services(e.tg.Namespace).Get(ctx, e.tg.Service, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("instance targets: %w", err)
	}
	for _, p := range svc.Spec.Ports {
		if p.Port == e.tg.ServicePort.Port {
			e.nodePort = p.NodePort
		}
	}
	if e.nodePort == 0 {
		return fmt.Errorf("instance targets: service %s/%s has no node port for port %d", e.tg.Namespace, e.tg.Service, e.tg.ServicePort.Port)
	}
	nodes, err := e.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, n := range nodes.Items {
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP {
				continue
			}
			ip, err := netip.ParseAddr(a.Address)
			if err != nil || CheckAddr(ip) != nil {
				e.log("node %s: address %s is not a lab address; not registered", n.Name, a.Address)
				continue
			}
			ap := netip.AddrPortFrom(ip, uint16(e.nodePort))
			t := e.newTarget(ap.String(), endpoint{addr: ap})
			e.register(t, 0)
			e.steady(t)
		}
	}
	e.route()
	return nil
}

// steady marks a target found at start as a long-registered one: healthy
// (its checks go on and can still find it unhealthy).
func (e *Emulator) steady(t *target) {
	t.health = 1
	e.log("%s%s is registered and healthy at start", t.key, podNote(t))
}

type endpoint struct {
	addr        netip.AddrPort
	pod         string
	registrable bool
	gate        string
}

// endpoints reads the Service's EndpointSlices and pods the way the
// controller does: a target is registrable when its endpoint is ready, or,
// for a pod with the readiness gate, when its containers are ready; never
// while it terminates.
func (e *Emulator) endpoints() map[string]endpoint {
	out := map[string]endpoint{}
	pods := map[string]*corev1.Pod{}
	for _, o := range e.podInf.GetStore().List() {
		p := o.(*corev1.Pod)
		pods[p.Name] = p
	}
	for _, o := range e.sliceInf.GetStore().List() {
		s := o.(*discoveryv1.EndpointSlice)
		if s.Labels[discoveryv1.LabelServiceName] != e.tg.Service {
			continue
		}
		port := int32(0)
		for _, p := range s.Ports {
			if p.Port == nil {
				continue
			}
			if (p.Name != nil && *p.Name == e.tg.ServicePort.Name) || len(s.Ports) == 1 {
				port = *p.Port
			}
		}
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 {
				continue
			}
			ip, err := netip.ParseAddr(ep.Addresses[0])
			if err != nil || checkTarget(ip) != nil {
				continue
			}
			x := endpoint{addr: netip.AddrPortFrom(ip, uint16(port))}
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			terminating := ep.Conditions.Terminating != nil && *ep.Conditions.Terminating
			var pod *corev1.Pod
			if ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" {
				x.pod = ep.TargetRef.Name
				pod = pods[x.pod]
			}
			containersReady := false
			if pod != nil {
				terminating = terminating || pod.DeletionTimestamp != nil
				for _, g := range pod.Spec.ReadinessGates {
					if strings.HasPrefix(string(g.ConditionType), GatePrefix) {
						x.gate = string(g.ConditionType)
					}
				}
				for _, c := range pod.Status.Conditions {
					if c.Type == corev1.ContainersReady && c.Status == corev1.ConditionTrue {
						containersReady = true
					}
				}
			}
			x.registrable = !terminating && (ready || (x.gate != "" && containersReady))
			out[x.addr.String()] = x
		}
	}
	return out
}

func (e *Emulator) newTarget(key string, ep endpoint) *target {
	t := &target{key: key, addr: ep.addr, pod: ep.pod, gate: ep.gate, slot: -1}
	e.targets[key] = t
	return t
}

// reconcileAll is the controller seeing a change: every target whose wish
// differs from its registration gets a reconcile after the controller's
// delay (drawn per target).
func (e *Emulator) reconcileAll() {
	eps := e.endpoints()
	for key, ep := range eps {
		t := e.targets[key]
		if t == nil {
			if !ep.registrable {
				continue
			}
			t = e.newTarget(key, ep)
		}
		if ep.gate != "" {
			t.gate = ep.gate
		}
		if t.pod == "" {
			t.pod = ep.pod
		}
		e.maybeReconcile(t, ep.registrable)
	}
	for key, t := range e.targets {
		if _, ok := eps[key]; !ok {
			e.maybeReconcile(t, false)
		}
	}
}

func (e *Emulator) maybeReconcile(t *target, want bool) {
	if t.pending || t.ended || want == t.reg || t.draining {
		return
	}
	t.pending = true
	d := e.draw(e.tg.Reconcile)
	e.after(d, func() {
		t.pending = false
		ep, ok := e.endpoints()[t.key]
		want := ok && ep.registrable
		switch {
		case want && !t.reg && !t.draining:
			e.register(t, e.draw(e.tg.RegisterPropagation))
		case !want && t.reg && !t.draining:
			e.deregister(t)
		}
		e.route()
	})
}

// register is RegisterTargets: the data plane starts health checks after
// the propagation delay.
func (e *Emulator) register(t *target, prop time.Duration) {
	slot := -1
	for i, s := range e.slots {
		if s == nil {
			slot = i
			break
		}
	}
	if slot < 0 {
		e.log("target group full (%d targets): %s not registered", Slots, t.key)
		return
	}
	e.slots[slot] = t
	t.slot = slot
	t.reg, t.regAt = true, time.Now()
	srv := fmt.Sprintf("%s/t%d", Backend, slot+1)
	d := dialAddr(t.addr)
	if err := e.hap.Set("set server "+srv+" state maint",
		fmt.Sprintf("set server %s addr %s port %d", srv, d.Addr(), d.Port())); err != nil {
		e.log("%v", err)
	}
	t.state = "maint"
	e.log("register %s%s (data plane in %.1fs)", t.key, podNote(t), prop.Seconds())
	enter := func() {
		if t.draining || t.ended {
			return
		}
		t.inDP = true
		e.startChecks(t)
		if t.gate != "" {
			e.pollGate(t, 1)
		}
		e.route()
	}
	if prop <= 0 {
		enter()
		return
	}
	e.after(prop, enter)
}

func podNote(t *target) string {
	if t.pod == "" {
		return ""
	}
	return " (pod " + t.pod + ")"
}

// deregister is DeregisterTargets: the target drains; the data plane stops
// sending it new requests after the propagation delay and lets it go at
// the end of the deregistration delay.
func (e *Emulator) deregister(t *target) {
	t.draining = true
	if t.stopHC != nil {
		close(t.stopHC)
		t.stopHC = nil
	}
	stop := e.draw(e.tg.DeregisterPropagation)
	e.log("deregister %s%s (stops sending in %.1fs, drained in %s)", t.key, podNote(t), stop.Seconds(), e.tg.DeregistrationDelay)
	e.after(stop, func() {
		t.stopped = true
		e.log("stop sending to %s", t.key)
		e.route()
	})
	e.after(e.tg.DeregistrationDelay, func() {
		t.ended = true
		srv := fmt.Sprintf("%s/t%d", Backend, t.slot+1)
		if e.tg.HTTP || e.tg.ConnectionTermination {
			if err := e.hap.Set("shutdown sessions server " + srv); err != nil {
				e.log("%v", err)
			}
		}
		e.setState(t, "maint")
		e.slots[t.slot] = nil
		delete(e.targets, t.key)
		e.log("drained %s", t.key)
		e.route()
		if e.tg.IP {
			// A pod may have been given the drained target's address.
			e.reconcileAll()
		}
	})
}

// startChecks runs the target's health checks at the interval, from a
// random phase, as the load balancer's nodes would.
func (e *Emulator) startChecks(t *target) {
	stop := make(chan struct{})
	t.stopHC = stop
	first := time.Duration(e.frac() * float64(e.tg.Interval))
	addr := dialAddr(t.addr)
	if e.tg.HealthPort > 0 {
		addr = netip.AddrPortFrom(addr.Addr(), uint16(e.tg.HealthPort))
	}
	go func() {
		timer := time.NewTimer(first)
		defer timer.Stop()
		client := &http.Client{Timeout: e.tg.Timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			select {
			case <-stop:
				return
			case <-e.ctx.Done():
				return
			case <-timer.C:
			}
			timer.Reset(e.tg.Interval)
			ok := e.check(client, addr)
			e.post(func() { e.checked(t, ok) })
		}
	}()
}

func (e *Emulator) check(client *http.Client, addr netip.AddrPort) bool {
	if e.tg.HealthPath == "" {
		c, err := net.DialTimeout("tcp", addr.String(), e.tg.Timeout)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	resp, err := client.Get("http://" + addr.String() + e.tg.HealthPath)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if e.tg.HTTP {
		return resp.StatusCode == http.StatusOK // the ALB's default matcher
	}
	return resp.StatusCode >= 200 && resp.StatusCode < 400 // the NLB's
}

func (e *Emulator) checked(t *target, ok bool) {
	if t.draining || t.ended {
		return
	}
	was := t.health
	if ok {
		t.fails = 0
		t.passes++
		need := e.tg.HealthyThreshold
		if t.health == 0 {
			need = e.tg.NewTargetChecks
		}
		if t.health != 1 && t.passes >= need {
			t.health = 1
		}
	} else {
		t.passes = 0
		t.fails++
		if t.health != -1 && t.fails >= e.tg.UnhealthyThreshold {
			t.health = -1
		}
	}
	if was != t.health {
		e.log("%s%s is %s", t.key, podNote(t), map[int]string{1: "healthy", -1: "unhealthy", 0: "initial"}[t.health])
		e.route()
	}
}

// pollGate is the controller re-reading target health every GateRequeue
// from the registration on, and setting the pod's condition once healthy.
func (e *Emulator) pollGate(t *target, k int) {
	at := t.regAt.Add(time.Duration(k) * e.tg.GateRequeue)
	e.after(time.Until(at), func() {
		if t.gateSet || t.draining || t.ended {
			return
		}
		if t.health != 1 {
			e.pollGate(t, k+1)
			return
		}
		t.gateSet = true
		go e.setGate(t.pod, t.gate)
	})
}

func (e *Emulator) setGate(pod, cond string) {
	patch, _ := json.Marshal(map[string]any{"status": map[string]any{"conditions": []map[string]any{{
		"type": cond, "status": "True", "reason": "Healthy", "message": "target is healthy (zerodrop lab emulator)",
		"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
	}}}})
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	_, err := e.client.CoreV1().Pods(e.tg.Namespace).Patch(ctx, pod, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		e.log("readiness gate of pod %s: %v", pod, err)
		return
	}
	e.log("readiness gate of pod %s set", pod)
}

// route sets every server's state from the targets', as the load
// balancer routes: healthy targets get requests; with none, it fails open
// to the registered targets checked unhealthy; a deregistered target keeps
// getting requests until its stop-sending has propagated, then drains.
func (e *Emulator) route() {
	want := map[*target]string{}
	healthy := 0
	for _, t := range e.targets {
		if t.slot < 0 || t.ended {
			continue
		}
		want[t] = "maint"
		if t.inDP && !t.draining && t.health == 1 {
			want[t] = "ready"
			healthy++
		}
	}
	for _, t := range e.targets {
		if t.slot < 0 || t.ended {
			continue
		}
		switch {
		case healthy == 0 && t.inDP && !t.draining && t.health == -1:
			want[t] = "ready"
		case t.draining && !t.stopped && t.inDP && t.health == 1:
			want[t] = "ready"
		case t.draining && t.stopped:
			want[t] = "drain"
		}
	}
	for t, s := range want {
		e.setState(t, s)
	}
}

func (e *Emulator) setState(t *target, s string) {
	if t.state == s || t.slot < 0 {
		return
	}
	if err := e.hap.Set(fmt.Sprintf("set server %s/t%d state %s", Backend, t.slot+1, s)); err != nil {
		e.log("%v", err)
		return
	}
	t.state = s
}

// Healthy returns the targets the load balancer routes to now, sorted.
func (e *Emulator) Healthy() []string {
	out := make(chan []string, 1)
	e.post(func() {
		var l []string
		for _, t := range e.targets {
			if t.state == "ready" {
				l = append(l, t.key)
			}
		}
		sort.Strings(l)
		out <- l
	})
	select {
	case l := <-out:
		return l
	case <-e.ctx.Done():
		return nil
	}
}

// WaitHealthy waits until n targets get requests.
func (e *Emulator) WaitHealthy(ctx context.Context, n int) error {
	for {
		if len(e.Healthy()) >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d healthy targets (have %v): %w", n, e.Healthy(), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ServerStates returns HAProxy's own view of the servers ("show servers
// state"), for logs and tests.
func (e *Emulator) ServerStates() (string, error) {
	return e.hap.Command("show servers state " + Backend)
}

// Stats are HAProxy's counters of the target group's servers, summed.
type Stats struct {
	// Connects counts connections HAProxy opened to targets; Reuses counts
	// requests sent on a connection it already had.
	Connects, Reuses int64
	// Conns counts the connections HAProxy holds to targets now: idle
	// (safe or not) and in use; in TCP mode, which pools none, the
	// current sessions.
	Conns int64
	// Used counts the connections that carry a request now.
	Used int64
	// Sessions counts the client connections open at the load balancer.
	Sessions int64
}

// ServerStats reads the servers' counters ("show stat"), for the share of
// requests the load balancer sent on reused connections.
func (e *Emulator) ServerStats() (Stats, error) {
	out, err := e.hap.Command("show stat")
	if err != nil {
		return Stats{}, err
	}
	return parseStats(out)
}

// parseStats sums the connect and reuse columns of the backend's server
// rows of "show stat" CSV output.
func parseStats(csv string) (Stats, error) {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		return Stats{}, fmt.Errorf("haproxy show stat: no header in %q", csv)
	}
	col := map[string]int{}
	for i, h := range strings.Split(strings.TrimPrefix(lines[0], "# "), ",") {
		col[h] = i
	}
	pi, si, ci, ri := col["pxname"], col["svname"], col["connect"], col["reuse"]
	if _, ok := col["connect"]; !ok {
		return Stats{}, fmt.Errorf("haproxy show stat: no connect column")
	}
	if _, ok := col["reuse"]; !ok {
		return Stats{}, fmt.Errorf("haproxy show stat: no reuse column")
	}
	var s Stats
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) > max(pi, si) && f[pi] == "lb" && f[si] == "FRONTEND" {
			if i, ok := col["scur"]; ok && i < len(f) {
				fmt.Sscan(f[i], &s.Sessions)
			}
			continue
		}
		if len(f) <= max(ci, ri) || f[pi] != Backend || f[si] == "BACKEND" || f[si] == "FRONTEND" {
			continue
		}
		var c, r int64
		fmt.Sscan(f[ci], &c)
		fmt.Sscan(f[ri], &r)
		s.Connects += c
		s.Reuses += r
		var pooled int64
		for _, h := range []string{"idle_conn_cur", "safe_conn_cur", "used_conn_cur"} {
			if i, ok := col[h]; ok && i < len(f) {
				var n int64
				fmt.Sscan(f[i], &n)
				pooled += n
				if h == "used_conn_cur" {
					s.Used += n
				}
			}
		}
		if pooled == 0 {
			// TCP mode keeps no pool: one server connection per
			// client session, which "scur" counts.
			if i, ok := col["scur"]; ok && i < len(f) {
				fmt.Sscan(f[i], &pooled)
			}
		}
		s.Conns += pooled
	}
	return s, nil
}
