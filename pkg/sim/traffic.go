package sim

import (
	"math"

	"github.com/zerodrop/zerodrop/pkg/timing"
)

// traffic generates and settles the requests that arrive before until.
// Arrivals are a Poisson process; each request goes round-robin to the
// current routable targets, and its outcome follows from the state of its
// pod at arrival and over its duration. Nothing is kept per request: an
// outcome goes straight into the per-second timeline and the cause table,
// and a request that is still in flight is kept only as a count in its
// pod's ledger of end times, in case the pod is killed before it ends.
//
// Every request draws its random numbers in the same order whatever
// happens to it, so two runs with one seed see the same requests.
func (s *sim) traffic(until float64) {
	if s.nextArr >= until {
		return
	}
	if s.dirty {
		s.rebuild()
	}
	p := &s.p
	rng := s.rng
	inv := s.invRate
	dur := &s.durTable
	keep := uint64(p.KeepAlive * (1 << 20))
	long := uint64(p.LongShare * (1 << 12))
	longest := p.DurationMax
	race := p.IdleRace
	idle := inf
	if s.http && p.IdleTimeout > 0 {
		idle = p.IdleTimeout
	}
	routes := s.routes
	routable := s.routable
	n := len(routable)
	rr := s.rr
	// Behind instance targets with several kube-proxies the load balancer
	// spreads requests over the nodes, and each node's kube-proxy forwards
	// by its own rules; the round robin over targets is shared, so that
	// with identical rules everywhere the requests go where one list would
	// send them.
	lbrr := s.lbrr
	perNode := len(routes) > 1
	tl := s.run.Timeline
	var total int64
	t := s.nextArr
	for ; t < until; t += rng.ExpFloat64() * inv {
		// One draw gives the duration (its top bits pick a quantile of
		// the duration distribution, bits 20–31 whether it is one of the
		// longest) and the connection reuse (its low 20 bits).
		u := rng.Uint64()
		d := dur.at(u)
		if (u>>20)&(1<<12-1) < long {
			d = longest
		}
		reused := u&(1<<20-1) < keep
		total++
		if perNode {
			routable = routes[lbrr]
			n = len(routable)
			lbrr++
			if lbrr == len(routes) {
				lbrr = 0
			}
			if rr >= n {
				rr = 0
			}
		}
		if n == 0 {
			c := CauseNoTargets
			if !s.ipMode && !p.NoTargets {
				c = CauseNoEndpoints
			}
			s.fail(t, c, s.class[c], 1)
			tl = s.run.Timeline
			continue
		}
		if s.ctLive > 0 && !reused && !s.ipMode {
			// A new connection through kube-proxy: if its source port is
			// one a stale conntrack entry holds, it follows that entry to
			// a dead pod. The low bits of u are uniform above keep for a
			// request that is not reused.
			s.ctExpire(t)
			if s.ctLive > 0 && float64((u&(1<<20-1))-keep)/float64(1<<20-keep)*s.ctPorts < float64(s.ctLive) {
				s.ctRenew(t)
				s.fail(t, CauseStaleConntrack, s.class[CauseStaleConntrack], 1)
				tl = s.run.Timeline
				continue
			}
		}
		x := routable[rr]
		rr++
		if rr == n {
			rr = 0
		}
		if reused && s.pool.on {
			// The load balancer's pool, request by request (pool.go).
			x, reused = s.fromPool(t, d, routable)
		} else if reused && !s.ipMode && !x.sink && (t >= x.listenEnd || t < x.listenStart) {
			// Instance targets: the load balancer's kept-alive
			// connections to a node port are each pinned to one pod
			// (kube-proxy's DNAT is decided once per connection): none
			// leads to a pod that does not listen yet, and the app
			// closed its idle ones when it stopped listening. A
			// request on a reused connection rides one to a pod that
			// listens; only new connections follow kube-proxy's rules
			// to a pod that does not.
			//
			// Except the requests that rode the connections pinned to
			// a pod whose app just stopped: the load balancer opens
			// new ones for them at that moment, through kube-proxy's
			// rules of that moment, which may still list the stopped
			// pod (or another). A new connection that fails leaves its
			// place empty, so the next such request opens another
			// (in the lab the next request on that client connection
			// fails again while no pooled connection is free); only
			// one that reaches a listening pod is pinned there. (This
			// is the connections spread by their mean, without
			// Params.Conns; with it, the pool above decides, pool.go.)
			// kube-proxy picks a new
			// connection's pod at random (iptables' statistic match),
			// from a stream of its own so the requests' draws stay in
			// order. The low bits of u are uniform below keep for a
			// reused request.
			if t >= x.listenEnd && x.pinned > 0 && float64(u&(1<<20-1)) < x.pinned*float64(keep) {
				from := x
				x = routable[s.kp.IntN(n)]
				reused = false
				if !x.sink && t >= x.listenStart && t < x.listenEnd && t < x.ipGone {
					from.pinned--
				}
			} else if y := listening(routable, rr, t); y != nil {
				x = y
			}
		}
		var c Cause
		switch {
		case x.sink:
			c = CauseNoLocalEndpoint
		case t >= x.ipGone:
			c = CausePodGone
		case t < x.listenStart:
			c = CauseNotListening
		case t >= x.listenEnd:
			switch {
			case t >= x.exitAt:
				c = CauseExited
			case reused:
				c = CauseKeepAliveClosed
			default:
				c = CauseStopped
			}
		}
		if c == CauseNone && race > 0 && reused && rng.Float64() < race {
			c = CauseIdleRace
		}
		if c == CausePodGone && !reused && !s.ipMode {
			// Through kube-proxy, the unanswered SYN leaves a conntrack
			// entry that outlives the pod's place in the rules.
			s.ctAdd(t)
		}
		if c != CauseNone {
			s.fail(t, c, s.class[c], 1)
			tl = s.run.Timeline
			continue
		}
		end := t + d
		if end > x.cut {
			s.fail(x.cut, x.cutCause, s.class[x.cutCause], 1)
			tl = s.run.Timeline
			continue
		}
		if d > idle {
			s.fail(t+idle, CauseIdleTimeout, Status504, 1)
			tl = s.run.Timeline
			continue
		}
		// In flight: ok unless its pod is killed first.
		b := int32(end / ringBucket)
		if x.ring == nil {
			x.ring = make([]ringEntry, s.ringSize)
		}
		e := &x.ring[b%s.ringSize]
		if e.b != b {
			e.b, e.n = b, 0
		}
		e.n++
		sec := int(b) / 10
		if sec >= len(tl) {
			s.grow(sec + 64)
			tl = s.run.Timeline
		}
		tl[sec].OK++
	}
	s.rr = rr
	s.lbrr = lbrr
	s.run.Total += total
	// The loop stopped at the first arrival at or after until.
	s.nextArr = t
}

// quantileBits is log2 of the number of quantiles kept of the request
// duration distribution.
const quantileBits = 12

// quantiles is the inverse CDF of the request durations at 2^quantileBits
// + 1 evenly spaced probabilities; a draw interpolates between two of
// them. It replaces an exp() per request.
type quantiles [1<<quantileBits + 1]float64

// durationTable tabulates a log-normal distribution with the given median
// and sigma, capped at max.
func durationTable(median, sigma, max float64) quantiles {
	var q quantiles
	n := float64(len(q) - 1)
	for i := range q {
		// Keep the extreme quantiles finite: probabilities in [ε, 1−ε].
		pr := (float64(i) + 0.5) / (n + 1)
		v := median * math.Exp(sigma*math.Sqrt2*math.Erfinv(2*pr-1))
		q[i] = math.Min(v, max)
	}
	return q
}

// at maps a uniform 64-bit draw to a duration.
func (q *quantiles) at(u uint64) float64 {
	i := u >> (64 - quantileBits)
	f := float64((u>>(64-quantileBits-20))&(1<<20-1)) / (1 << 20)
	return q[i] + f*(q[i+1]-q[i])
}

// listening returns the first of the routable targets from index from on
// (wrapping) whose app listens at t, or nil.
func listening(routable []*pod, from int, t float64) *pod {
	n := len(routable)
	for i := range n {
		y := routable[(from+i)%n]
		if !y.sink && t >= y.listenStart && t < y.listenEnd && t < y.ipGone {
			return y
		}
	}
	return nil
}

// ctSlots is the length of the stale-conntrack ring in seconds: more than
// the SYN_SENT timeout.
const ctSlots = 128

// synSent is how long a stale conntrack entry lives after its last SYN.
var synSent = float64(timing.ConntrackSynSent.High)

// ctExpire drops the stale conntrack entries that expired by t.
func (s *sim) ctExpire(t float64) {
	if s.ctLive == 0 {
		s.ctHead = int(t) + 1
		return
	}
	for float64(s.ctHead) <= t && s.ctLive > 0 {
		i := s.ctHead % ctSlots
		s.ctLive -= int(s.ct[i])
		s.ct[i] = 0
		s.ctHead++
	}
}

// ctAdd records a stale conntrack entry made at t by a SYN nothing
// answers: it lives synSent seconds.
func (s *sim) ctAdd(t float64) {
	s.ctExpire(t)
	s.ct[int(math.Ceil(t+synSent))%ctSlots]++
	s.ctLive++
}

// ctRenew moves the oldest stale entry to expire synSent after t: a new
// SYN matched it.
func (s *sim) ctRenew(t float64) {
	for k := s.ctHead; k < s.ctHead+ctSlots; k++ {
		if i := k % ctSlots; s.ct[i] > 0 {
			s.ct[i]--
			s.ct[int(math.Ceil(t+synSent))%ctSlots]++
			return
		}
	}
}
