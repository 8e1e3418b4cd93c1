package sim

import "math"

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
	routable := s.routable
	n := len(routable)
	rr := s.rr
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
		if n == 0 {
			c := CauseNoTargets
			if !s.ipMode && !p.NoTargets {
				c = CauseNoEndpoints
			}
			s.fail(t, c, s.class[c], 1)
			tl = s.run.Timeline
			continue
		}
		x := routable[rr]
		rr++
		if rr == n {
			rr = 0
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
