package sim

import "math"

// poolConn is one of the load balancer's kept-alive connections behind
// instance targets: kube-proxy pinned it to pod when it was opened, and it
// carries one request at a time, busy until busy.
type poolConn struct {
	pod  *pod
	busy float64
}

// fromPool gives a request on a kept-alive connection, arriving at t and
// lasting d, its connection: an idle one to a pod that listens, whichever
// pod that is, or, when none is idle, a new one through kube-proxy's rules
// of that moment (routable), which may lead to a pod that does not listen
// (the request fails there and the connection is not kept). A new
// connection that reaches a listening pod joins the pool. Connections to
// a pod whose app stopped are gone: the app closed them. It returns the
// pod and whether the request rode a pooled connection.
func (s *sim) fromPool(t, d float64, routable []*pod) (*pod, bool) {
	if !s.poolMade {
		s.poolMade = true
		s.seedPool(t, routable)
	}
	pool := s.pool
	for i := 0; i < len(pool); {
		c := &pool[i]
		if x := c.pod; t >= x.listenEnd || t >= x.ipGone {
			pool[i] = pool[len(pool)-1]
			pool = pool[:len(pool)-1]
			continue
		}
		if c.busy <= t {
			c.busy = t + d
			s.pool = pool
			return c.pod, true
		}
		i++
	}
	x := routable[s.kp.IntN(len(routable))]
	if !x.sink && t >= x.listenStart && t < x.listenEnd && t < x.ipGone {
		pool = append(pool, poolConn{pod: x, busy: t + d})
	}
	s.pool = pool
	return x, false
}

// seedPool places the connections the load balancer holds at the start:
// the given count (its fraction drawn), over the pods that listen in turn
// from a drawn one, as a pool that has served them evenly would.
func (s *sim) seedPool(t float64, routable []*pod) {
	var up []*pod
	for _, x := range routable {
		if !x.sink && t >= x.listenStart && t < x.listenEnd && t < x.ipGone {
			up = append(up, x)
		}
	}
	if len(up) == 0 {
		return
	}
	n := int(math.Floor(s.poolN))
	if s.kp.Float64() < s.poolN-float64(n) {
		n++
	}
	at := s.kp.IntN(len(up))
	s.pool = make([]poolConn, 0, n+8)
	for i := range n {
		s.pool = append(s.pool, poolConn{pod: up[(at+i)%len(up)], busy: math.Inf(-1)})
	}
}
