package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/timing"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func causeCount(r *Run, c Cause) int64 {
	for _, cc := range r.Causes {
		if cc.Cause == c {
			return cc.Count
		}
	}
	return 0
}

// With externalTrafficPolicy: Local a node leaves the load balancer only
// when its health check fails: a preStop shorter than that drops requests
// sent to the node, one longer than endpoint propagation plus the failing
// checks plus propagation drops none.
func TestLocalTrafficWaitsForNodeHealthCheck(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.NLB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.LocalTraffic = true
	p.HealthInterval, p.HealthyThreshold, p.UnhealthyThreshold = 10, 3, 3
	p.Replicas, p.Nodes, p.Event, p.ScaleTo = 6, 6, ScaleIn, 3
	p.PreStop, p.Grace = 10, 60
	var short int64
	for seed := uint64(1); seed <= 4; seed++ {
		short += mustRun(t, p, seed).Failed()
	}
	if short == 0 {
		t.Errorf("preStop 10 s behind a Local NLB: no failure, want requests lost while nodes still pass their health check")
	}
	// Scale-in empties whole nodes only if pods share nodes; what matters is
	// that with a preStop above the stop-sending time nothing fails.
	n := timing.Default().Compute(timing.Input{LB: timing.NLB, TargetType: timing.TargetInstance, LocalTraffic: true,
		Interval: timing.Value{Seconds: 10}, UnhealthyThreshold: timing.Value{Seconds: 3}})
	p.PreStop, p.Grace = float64(n.RequiredPreStop.High), float64(n.RequiredPreStop.High+60)
	for seed := uint64(1); seed <= 4; seed++ {
		if r := mustRun(t, p, seed); r.Failed() > 0 {
			t.Errorf("seed %d: preStop %v s (check's required preStop) behind a Local NLB failed %d requests: %+v", seed, p.PreStop, r.Failed(), r.Causes)
		}
	}
}

// An NLB keeps established flows past the deregistration delay unless
// connection termination is on; then it resets them (never a 502).
func TestNLBConnectionTermination(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.NLB, timing.TargetIP
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Gate = true
	p.DeregistrationDelay = 2
	p.PreStop, p.Grace = 200, 300
	p.DurationMedian, p.DurationSigma, p.DurationMax = 5, 0.5, 30
	p.Event = ScaleIn
	p.ScaleTo = 1
	off := mustRun(t, p, 1)
	if n := causeCount(off, CauseDeregEnd); n != 0 {
		t.Errorf("connection termination off: %d requests cut at the end of the delay, want 0", n)
	}
	p.ConnTermination = true
	on := mustRun(t, p, 1)
	if causeCount(on, CauseDeregEnd) == 0 {
		t.Fatalf("connection termination on, delay 2 s, 5 s requests: nothing cut; causes %+v", on.Causes)
	}
	if on.Failures[Status502] != 0 || on.Failures[Reset] == 0 {
		t.Errorf("NLB connection termination: failures %v, want resets and no 502", on.Failures)
	}
}

// A grace period shorter than preStop: the kubelet sends SIGTERM when the
// grace period ends and SIGKILL 2 s later.
func TestGraceShorterThanPreStop(t *testing.T) {
	p := Default()
	p.PreStop, p.Grace, p.Event, p.ScaleTo = 60, 20, ScaleIn, 1
	s := newSim(p, 1)
	var term, kill float64
	s.runAllWith(func() {
		for _, q := range s.pods {
			if q.terminating && term == 0 {
				term, kill = q.sigterm-q.deletedAt, q.sigkill-q.deletedAt
			}
		}
	})
	if term != 20 || kill != 22 {
		t.Errorf("SIGTERM %v s and SIGKILL %v s after deletion, want 20 and 22", term, kill)
	}
}

func TestDefaultScaleToKeepsOne(t *testing.T) {
	for r, want := range map[int]int{0: 0, 1: 1, 2: 1, 3: 1, 10: 5} {
		if got := DefaultScaleTo(r); got != want {
			t.Errorf("DefaultScaleTo(%d) = %d, want %d", r, got, want)
		}
	}
}

// Monte Carlo causes cover every run: their counts add up to the failures
// of all runs, each run simulated on its own.
func TestMonteCarloCausesCoverAllRuns(t *testing.T) {
	p := Default()
	p.PreStop, p.Grace = 5, 30 // drops in most runs
	const n = 8
	s, err := MonteCarlo(p, 7, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want, got int64
	runs := 0
	for i := range n {
		r := mustRun(t, p, RunSeed(7, i))
		want += r.Failed()
		if r.Failed() > 0 {
			runs++
		}
	}
	maxRuns := 0
	for _, c := range s.Causes {
		got += c.Count
		maxRuns = max(maxRuns, c.Runs)
	}
	if got != want || want == 0 {
		t.Errorf("causes over the series count %d failures, the runs %d", got, want)
	}
	if maxRuns > runs || maxRuns == 0 {
		t.Errorf("a cause appears in %d runs, %d runs failed", maxRuns, runs)
	}
	if s.Example.Failed() == 0 {
		t.Errorf("the example run failed nothing")
	}
}

// Through kube-proxy, a SYN to a pod whose IP has gone while kube-proxy
// still lists it leaves a conntrack entry that outlives the rules: new
// connections that reuse its source port keep going to the dead pod after
// kube-proxy dropped it. Only new connections meet it, only without a
// preStop covering endpoint propagation, and never behind ip targets.
func TestStaleConntrack(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.EndpointPropagation = Const(5)
	p.Replicas, p.Nodes, p.Event, p.ScaleTo = 4, 1, ScaleIn, 2
	p.RPS, p.KeepAlive = 2000, 0
	p.PreStop = 0
	r := mustRun(t, p, 1)
	var stale CauseCount
	for _, c := range r.Causes {
		if c.Cause == CauseStaleConntrack {
			stale = c
		}
	}
	if stale.Count == 0 {
		t.Fatalf("new connections at 2000/s, no preStop, kube-proxy 5 s: no stale-conntrack failure; causes %+v", r.Causes)
	}
	// kube-proxy dropped the pods 5 s after the scale-in; the entries keep
	// failing requests after that.
	if stale.To < p.Lead+5+1 {
		t.Errorf("stale conntrack failures end at %.1f s, want after kube-proxy's update at %.1f s", stale.To, p.Lead+5)
	}
	if c := classOf(p.LB, CauseStaleConntrack); c != Status504 {
		t.Errorf("behind an ALB a stale entry is a connect timeout: class %v, want 504", c)
	}

	// Kept-alive connections are pinned already; they make no new SYN.
	q := p
	q.KeepAlive = 1
	if n := causeCount(mustRun(t, q, 1), CauseStaleConntrack); n != 0 {
		t.Errorf("every request on a kept-alive connection: %d stale-conntrack failures, want 0", n)
	}
	// A preStop longer than endpoint propagation: kube-proxy has dropped
	// the pod before it stops, so no SYN goes unanswered.
	q = p
	q.PreStop = 6
	if r := mustRun(t, q, 1); r.Failed() != 0 {
		t.Errorf("preStop 6 s over kube-proxy's 5 s: %d failures (%+v), want 0", r.Failed(), r.Causes)
	}
	// ip targets do not go through kube-proxy.
	q = p
	q.TargetType = timing.TargetIP
	if n := causeCount(mustRun(t, q, 1), CauseStaleConntrack); n != 0 {
		t.Errorf("ip targets: %d stale-conntrack failures, want 0", n)
	}
}

// Instance targets: a request on a kept-alive connection rides one to a
// pod that still listens (each connection is pinned to the pod it was
// opened to, and the stopping app closed its own); only new connections
// follow kube-proxy's rules to a pod that stopped or does not listen yet.
// With every request on a kept-alive connection nothing fails; with none,
// requests do.
func TestInstanceKeepAlivePinned(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Nodes, p.Event, p.ScaleTo = 4, 2, ScaleIn, 2
	p.PreStop = 0
	p.KeepAlive = 1
	// With a pool that holds idle connections enough to the pods that
	// listen on, nothing needs a new connection, so nothing meets them.
	p.Conns = 200
	if r := mustRun(t, p, 1); r.Failed() != 0 {
		t.Errorf("instance targets, all kept alive, an idle pool: %d failures (%+v), want 0", r.Failed(), r.Causes)
	}
	p.Conns = 0
	p.KeepAlive = 0
	if r := mustRun(t, p, 1); causeCount(r, CauseStopped) == 0 {
		t.Errorf("instance targets, new connections: no request sent to the stopped pods (%+v)", r.Causes)
	}
	// Nor does one lead to a new pod before its app listens (no
	// readiness probe: kube-proxy adds it at once) while old pods that
	// listen are still in kube-proxy's rules (one new pod at a time,
	// each waiting minReadySeconds).
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	p.Event, p.Probe, p.AppStartup = Rollout, nil, Const(3)
	p.Conns = 200
	p.MaxSurge, p.MaxUnavailable, p.MinReadySeconds = &one, &zero, 10
	p.KeepAlive = 1
	if n := causeCount(mustRun(t, p, 1), CauseNotListening); n != 0 {
		t.Errorf("instance targets, all kept alive, rollout without a probe: %d not-listening, want 0", n)
	}
	p.KeepAlive = 0
	if n := causeCount(mustRun(t, p, 1), CauseNotListening); n == 0 {
		t.Errorf("instance targets, new connections, rollout without a probe: no not-listening failure")
	}
	p.Event, p.Conns = ScaleIn, 0
	// ip targets: the load balancer picks the target per request, so a
	// kept-alive request can still reach the stopping pod.
	p.TargetType, p.KeepAlive = timing.TargetIP, 1
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	if r := mustRun(t, p, 1); causeCount(r, CauseKeepAliveClosed) == 0 {
		t.Errorf("ip targets, all kept alive: no keepalive-closed failure (%+v)", r.Causes)
	}
}

// instanceScaleIn is a naive scale-in from 4 to 2 pods behind an ALB's
// instance targets, all traffic kept alive, kube-proxy taking 2–3 s.
func instanceScaleIn() Params {
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Nodes, p.Event, p.ScaleTo = 4, 2, ScaleIn, 2
	p.PreStop, p.KeepAlive = 0, 1
	p.EndpointPropagation = Dist{Min: 2, Max: 3}
	return p
}

// TestInstanceReopenAtStop: behind instance targets, when a pod's app
// stops, the requests that rode the load balancer's connections pinned
// to it need new connections at that moment, through kube-proxy's rules
// of that moment, which still list the stopped pods: failures of new
// connections only, all in the window between the first stop and
// kube-proxy dropping the last stopped pod, with the connections spread
// by their mean (the default) and with a pool that holds no more than its
// traffic keeps busy; none when kube-proxy drops the pods before their
// apps stop.
func TestInstanceReopenAtStop(t *testing.T) {
	p := instanceScaleIn()
	// About 16 requests in flight here (100 requests/s of 0.165 s on
	// average); the pool grows to what they need.
	for _, conns := range []float64{0, 1e-9, 16} {
		p.Conns = conns
		var failed int64
		for seed := uint64(1); seed <= 20; seed++ {
			r := mustRun(t, p, seed)
			failed += r.Failed()
			for _, c := range r.Causes {
				switch c.Cause {
				case CauseStopped, CauseExited, CausePodGone, CauseStaleConntrack:
				default:
					t.Errorf("conns %g: cause %v (%d), want only failures of new connections", conns, c.Cause, c.Count)
				}
				// Stops come at the event (p.Lead) plus the kubelet's
				// reaction; kube-proxy drops the pods within 3 s.
				if c.From < p.Lead || c.To > p.Lead+3+1 {
					t.Errorf("conns %g: %v from %.2f to %.2f, outside the stop-to-propagation window", conns, c.Cause, c.From, c.To)
				}
			}
		}
		if failed < 20 {
			t.Errorf("conns %g: %d failures over 20 runs, want the stops to fail some requests in most", conns, failed)
		}
	}
	// A preStop longer than kube-proxy's propagation: the stopped pods
	// are out of the rules before their apps stop; nothing fails.
	p.PreStop = 4
	for _, conns := range []float64{0, 16} {
		p.Conns = conns
		if r := mustRun(t, p, 1); r.Failed() != 0 {
			t.Errorf("conns %g, preStop 4 s, propagation 2–3 s: %d failures (%+v), want 0", conns, r.Failed(), r.Causes)
		}
	}
}

// TestInstanceIdlePool: with the load balancer's connections counted
// (Conns), they form a pool, request by request: a request takes an idle
// one to any pod that listens, and a new one is opened, through
// kube-proxy's rules of that moment, only when none is idle. A pool that
// holds far more than its traffic keeps busy (idle ones, left from a
// busier moment) opens none when the stopping pods close theirs, since
// those to the pods that listen on carry the requests; one holding about
// as many as it needs reopens. The lab measured it: of 13 scale-ins at
// 500 requests/s whose warm-up left 9–108 pooled connections, 10 measured
// 0–24 failures, below the p5 of bands that reopened every pooled
// connection (docs/lab.md, fifth round), and two drains at 100 requests/s
// measured 0 on the two connections left (sixth and seventh rounds).
func TestInstanceIdlePool(t *testing.T) {
	p := instanceScaleIn()
	total := func(conns float64) (n int64) {
		p.Conns = conns
		for seed := uint64(1); seed <= 20; seed++ {
			n += mustRun(t, p, seed).Failed()
		}
		return n
	}
	none, busy, idle := total(1e-9), total(24), total(80)
	if none == 0 || busy == 0 {
		t.Fatalf("a pool with no more connections than its traffic needs: %d and %d failures over 20 runs, want some", none, busy)
	}
	if idle != 0 {
		t.Errorf("80 connections (an idle pool, 40 left to the pods that listen on): %d failures over 20 runs, want 0", idle)
	}
	// Between the two, the connections left carry part of the traffic.
	if mid := total(40); mid <= idle || mid >= busy {
		t.Errorf("40 connections: %d failures over 20 runs, want between %d and %d", mid, idle, busy)
	}
	// ip targets keep no pinned connections: unchanged by the pool.
	p.TargetType = timing.TargetIP
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	if a, b := total(1e-9), total(80); a != b {
		t.Errorf("ip targets: %d failures with no pool, %d with 80 connections, want the same", a, b)
	}
}

// kube-proxy applies changes in order, in batches: a change arriving
// before a pending sync starts rides it, one arriving while a sync runs
// waits for it and the min sync period, and every change lands inside the
// endpoint propagation range it was split from.
func TestKubeProxyBatchedSyncs(t *testing.T) {
	for _, ep := range [][2]float64{{0, 3}, {1, 5}, {0, 2}, {2, 2}} {
		kt := kpTiming(timing.SplitKubeProxy(ep[0], ep[1], nil))
		k := proxy{start: math.Inf(-1), end: math.Inf(-1), seen: math.Inf(-1), made: math.Inf(-1)}
		r := rand.New(rand.NewPCG(1, uint64(ep[1])))
		now, last, batches, joined := 0.0, math.Inf(-1), 0, 0
		for i := range 20000 {
			now += r.ExpFloat64() * 0.4 // changes 0.4 s apart on average
			start, end := k.start, k.end
			at := k.apply(now, &kt, r, false)
			if at < last {
				t.Fatalf("ep %v: change %d at %.3f applied at %.3f, before the previous change (%.3f)", ep, i, now, at, last)
			}
			if d := at - now; d < ep[0]-1e-9 || d > ep[1]+1e-9 {
				t.Fatalf("ep %v: change %d took %.3f s, outside the range", ep, i, d)
			}
			switch {
			case at == end && k.start == start:
				joined++
			default:
				batches++
				if k.start < end+kt.MinSync-1e-9 {
					t.Fatalf("ep %v: sync starts at %.3f, %.3f s after the last one ended, want at least %.1f", ep, k.start, k.start-end, kt.MinSync)
				}
			}
			last = at
		}
		if ep[1] > ep[0] && (joined == 0 || batches == 0) {
			t.Errorf("ep %v: %d changes rode a pending sync and %d started one, want both", ep, joined, batches)
		}
	}
}

// With a fixed propagation delay every kube-proxy has the same rules at
// every moment, and a run with one per node routes exactly as one with a
// single kube-proxy does.
func TestKubeProxiesAgreeWhenDelaysAreFixed(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Nodes, p.PreStop = 6, 3, 0
	p.EndpointPropagation = Const(2)
	for _, ev := range []Event{Rollout, ScaleIn, Drain} {
		p.Event, p.ScaleTo, p.DrainNodes = ev, 3, 1
		one := p
		one.KubeProxies = 1
		a, b := mustRun(t, p, 7), mustRun(t, one, 7)
		if a.Failed() == 0 || a.Failed() != b.Failed() || a.Total != b.Total {
			t.Errorf("%s: three kube-proxies fail %d of %d, one fails %d of %d; want the same, above 0", ev, a.Failed(), a.Total, b.Failed(), b.Total)
		}
	}
}

// Behind instance targets with kube-proxy's syncs spread, each node's
// kube-proxy drops a deleted pod at its own time: with one per node the
// runs' failures spread differently from one kube-proxy for all, and the
// pods' removals follow the min sync period (a scale-in's deletions reach
// the rules in at most two syncs per kube-proxy).
func TestKubeProxyPerNode(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Nodes, p.Event, p.ScaleTo, p.PreStop = 6, 3, ScaleIn, 3, 0
	p.EndpointPropagation = Dist{Min: 0, Max: 3}
	one := p
	one.KubeProxies = 1
	differ := false
	for seed := uint64(1); seed <= 10; seed++ {
		a, b := mustRun(t, p, seed), mustRun(t, one, seed)
		differ = differ || a.Failed() != b.Failed()
	}
	if !differ {
		t.Errorf("one kube-proxy per node and one for all failed the same in 10 runs; want the nodes' own syncs to show")
	}
}

// Changes made at one moment (a scale-in's deletions) reach kube-proxy in
// one EndpointSlice update in a share of the runs (timing.KubeProxyOneUpdate):
// then one sync takes them all; else the second arrives while the first
// one's sync runs and waits for the min sync period and a sync of its own.
func TestKubeProxyOneUpdate(t *testing.T) {
	kt := kpTiming(timing.SplitKubeProxy(0, 2, nil))
	for _, one := range []bool{false, true} {
		k := proxy{start: math.Inf(-1), end: math.Inf(-1), seen: math.Inf(-1), made: math.Inf(-1)}
		r := rand.New(rand.NewPCG(3, 4))
		a := k.apply(10, &kt, r, one)
		b := k.apply(10, &kt, r, one)
		c := k.apply(10.5, &kt, r, one) // a later change rides no earlier sync
		if one && b != a || !one && b < a+kt.MinSync {
			t.Errorf("one update %v: changes made together applied at %.3f and %.3f", one, a, b)
		}
		if c < b+kt.MinSync-1e-9 && c != b {
			t.Errorf("one update %v: a change 0.5 s later applied at %.3f, after %.3f", one, c, b)
		}
	}
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Event, p.ScaleTo, p.PreStop = 4, ScaleIn, 2, 0
	n, ones := 2000, 0
	for i := range n {
		if newSim(p, RunSeed(1, i)).oneUpdate {
			ones++
		}
	}
	if got, want := float64(ones)/float64(n), timing.KubeProxyOneUpdate.Value; math.Abs(got-want) > 0.04 {
		t.Errorf("%d of %d runs took changes of one moment in one update (%.2f), want about %.2f", ones, n, got, want)
	}
}

// A profile's measured kube-proxy parts replace the even split of the
// endpoint propagation range: a change made with no sync running is in
// the rules within observe + sync (0.05–0.14 s here, up to 0.67 s split
// evenly), and a scale-in behind instance targets, whose stopped pods stay
// in the rules for that long, fails less.
func TestKubeProxyParts(t *testing.T) {
	parts := &timing.KubeProxyParts{Observe: timing.Span{Low: 0.02, High: 0.06}, Sync: timing.Span{Low: 0.03, High: 0.08}}
	kt := kpTiming(timing.SplitKubeProxy(0, 2, parts))
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 1000 {
		k := proxy{start: math.Inf(-1), end: math.Inf(-1), seen: math.Inf(-1), made: math.Inf(-1)}
		if d := k.apply(10, &kt, r, false) - 10; d < 0.05-1e-9 || d > 0.14+1e-9 {
			t.Fatalf("change %d in the rules after %.3f s, want 0.05–0.14", i, d)
		}
	}
	p := Default()
	p.LB, p.TargetType = timing.ALB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Replicas, p.Nodes, p.KubeProxies, p.Event, p.ScaleTo, p.PreStop = 3, 2, 1, ScaleIn, 1, 0
	p.EndpointPropagation = Dist{Min: 0, Max: 2}
	p.RPS, p.DurationMedian, p.KeepAlive, p.Conns = 500, 0.0005, 0.997, 3
	measured := p
	measured.KubeProxyParts = parts
	if err := measured.Validate(); err != nil {
		t.Fatal(err)
	}
	var even, fast int64
	for i := range 100 {
		even += mustRun(t, p, RunSeed(1, i)).Failed()
		fast += mustRun(t, measured, RunSeed(1, i)).Failed()
	}
	if fast >= even {
		t.Errorf("100 scale-ins fail %d with kube-proxy's measured parts, %d with the even split; want fewer", fast, even)
	}
	bad := measured
	bad.KubeProxyParts = &timing.KubeProxyParts{Observe: timing.Span{Low: 1, High: 0.5}}
	if bad.Validate() == nil {
		t.Errorf("observe 1–0.5 s passes Validate")
	}
}
