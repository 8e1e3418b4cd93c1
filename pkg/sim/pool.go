package sim

import "math"

// poolConn is one of the load balancer's kept-alive connections behind
// instance targets: kube-proxy pinned it to pod when it was opened, and it
// carries one request at a time, busy until busy.
type poolConn struct {
	pod  *pod
	busy float64
}

// connPool is the load balancer's pool when it was given its size
// (Params.Conns, instance targets): the idle connections, most recently
// used last, and the busy ones in a min-heap by the end of their request,
// so that a request costs O(log n) whatever the pool's size.
type connPool struct {
	on, made bool
	size     float64
	idle     []*pod
	busy     []poolConn
}

// listensAt says whether x's app accepts connections at t.
func listensAt(x *pod, t float64) bool {
	return !x.sink && t >= x.listenStart && t < x.listenEnd && t < x.ipGone
}

// fromPool gives a request on a kept-alive connection, arriving at t and
// lasting d, its connection: the most recently used idle one to a pod that
// listens, whichever pod that is, or, when none is idle, a new one through
// kube-proxy's rules of that moment (routable), which may lead to a pod
// that does not listen (the request fails there and the connection is not
// kept). A new connection that reaches a listening pod joins the pool.
// Connections to a pod whose app stopped are gone: the app closed them. It
// returns the pod and whether the request rode a pooled connection.
func (s *sim) fromPool(t, d float64, routable []*pod) (*pod, bool) {
	cp := &s.pool
	if !cp.made {
		cp.made = true
		s.seedPool(t, routable)
	}
	for len(cp.busy) > 0 && cp.busy[0].busy <= t {
		cp.idle = append(cp.idle, cp.popBusy())
	}
	for len(cp.idle) > 0 {
		x := cp.idle[len(cp.idle)-1]
		cp.idle = cp.idle[:len(cp.idle)-1]
		if t < x.listenEnd && t < x.ipGone {
			cp.pushBusy(poolConn{pod: x, busy: t + d})
			return x, true
		}
	}
	x := routable[s.kp.IntN(len(routable))]
	if listensAt(x, t) {
		cp.pushBusy(poolConn{pod: x, busy: t + d})
	}
	return x, false
}

// seedPool places the connections the load balancer holds at the start:
// the given count (its fraction drawn), over the pods that listen in turn
// from a drawn one, as a pool that has served them evenly would.
func (s *sim) seedPool(t float64, routable []*pod) {
	var up []*pod
	for _, x := range routable {
		if listensAt(x, t) {
			up = append(up, x)
		}
	}
	if len(up) == 0 {
		return
	}
	cp := &s.pool
	n := int(math.Floor(cp.size))
	if s.kp.Float64() < cp.size-float64(n) {
		n++
	}
	at := s.kp.IntN(len(up))
	cp.idle = make([]*pod, 0, n+8)
	for i := range n {
		cp.idle = append(cp.idle, up[(at+i)%len(up)])
	}
}

func (cp *connPool) pushBusy(c poolConn) {
	h := append(cp.busy, c)
	i := len(h) - 1
	for i > 0 {
		j := (i - 1) / 2
		if h[j].busy <= h[i].busy {
			break
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
	cp.busy = h
}

func (cp *connPool) popBusy() *pod {
	h := cp.busy
	x := h[0].pod
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && h[r].busy < h[l].busy {
			l = r
		}
		if h[i].busy <= h[l].busy {
			break
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
	cp.busy = h
	return x
}
