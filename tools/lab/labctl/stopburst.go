package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"
)

// stopWindow is how long after the first pod began terminating the
// requests in flight are read: the kubelet sends SIGTERM 0.03–0.13 s after
// the deletion and kube-proxy's first sync ends 0.1–0.6 s after it in the
// lab's runs, the window in which new connections meet the stopped pods.
const stopWindow = 500 * time.Millisecond

// stopBurst reads verify's JSON lines and returns how many more requests
// were in flight at once within window after the first pod began
// terminating (the event's first stop) than at any moment before it: the
// connections the client had to open then, beyond every one it held (for
// a rollout, the mean over its stops).
//
// In the lab a pod's stop comes with a latency spike of tens of
// milliseconds (the client, HAProxy and the pods share two cores with the
// kubelet, containerd and the control plane, which all act at that
// moment). verify's open-loop client then has that many more requests in
// flight; Go's transport keeps every connection it opened idle for the
// next request, so it opens one only for a request beyond its previous
// peak, and HAProxy (http-reuse safe) gives the first request of each new
// client connection a server connection of its own, through kube-proxy's
// rules of that moment. In the lab's 500 requests/s scale-ins this count
// matches the client connections HAProxy's log shows first within a
// second of the stop. A request that failed after hanging half a second or
// more does not count in the window: a connect that hangs on a gone pod's
// IP would count its own consequence (a refused one fails at once). 0 when
// no pod terminated.
//
// It is recorded with each run to explain its count, not given to
// simulate: as a model input (that many new connections at each stop, at
// a moment drawn within the window) it widened the 500 requests/s bands
// without bringing the measured counts nearer their medians (docs/lab.md,
// fifth round).
func stopBurst(jsonl string, window time.Duration) (float64, error) {
	r, err := readRun(jsonl)
	if err != nil || len(r.stops) == 0 {
		return 0, err
	}
	// Pods deleted together stop together: one spike. A rollout's later
	// stops find the connections the earlier spikes opened.
	var sum, n int
	for i, stop := range r.stops {
		if i > 0 && stop-r.stops[i-1] < window.Nanoseconds() {
			continue
		}
		sum += max(0, peak(r.spans, stop, stop+window.Nanoseconds(), true)-peak(r.spans, 0, stop, false))
		n++
	}
	return float64(sum) / float64(n), nil
}

// hangs is how long a failed request took, from when it was sent, to
// count as a connect that hung (on a gone pod's IP: 1–5 s in the lab).
const hangs = 500 * time.Millisecond

// span is one request's time in flight, in ns after verify's start; ok is
// false for one that failed after hanging, served true for one that
// succeeded.
type span struct {
	from, to   int64
	ok, served bool
}

// peak returns the most requests in flight at once between from and to,
// leaving out those that hung when okOnly.
func peak(spans []span, from, to int64, okOnly bool) int {
	type edge struct {
		t int64
		d int
	}
	var edges []edge
	for _, s := range spans {
		if s.ok || !okOnly {
			edges = append(edges, edge{s.from, 1}, edge{s.to, -1})
		}
	}
	// An end before a start at the same instant.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].d < edges[j].d
	})
	cur, most := 0, 0
	for _, e := range edges {
		cur += e.d
		if e.t >= from && e.t <= to && cur > most {
			most = cur
		}
	}
	return most
}

// run is what stopBurst reads from verify's JSON lines; times are ns after
// verify's start.
type run struct {
	start time.Time
	stops []int64 // when pods began terminating, in order
	// epTerm: when verify's watch saw a pod's endpoint turn terminating,
	// in order (changes of one EndpointSlice update come microseconds
	// apart).
	epTerm []int64
	spans  []span // each request's time in flight
}

func readRun(jsonl string) (*run, error) {
	f, err := os.Open(jsonl)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := &run{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l struct {
			Type    string    `json:"type"`
			Start   time.Time `json:"start"`
			T       time.Time `json:"t"`
			Kind    string    `json:"kind"`
			Reason  string    `json:"reason"`
			AtNs    int64     `json:"atNs"`
			DelayNs int64     `json:"delayNs"`
			LatNs   int64     `json:"latencyNs"`
			Class   string    `json:"class"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", jsonl, n, err)
		}
		switch l.Type {
		case "meta":
			r.start = l.Start
		case "event":
			if r.start.IsZero() {
				continue
			}
			if l.Kind == "pod" && l.Reason == "terminating" {
				r.stops = append(r.stops, l.T.Sub(r.start).Nanoseconds())
			}
			if l.Kind == "endpoint" && l.Reason == "endpoint-terminating" {
				r.epTerm = append(r.epTerm, l.T.Sub(r.start).Nanoseconds())
			}
		case "request":
			hung := l.Class != "ok" && l.LatNs-l.DelayNs >= int64(hangs)
			r.spans = append(r.spans, span{l.AtNs + l.DelayNs, l.AtNs + l.LatNs, !hung, l.Class == "ok"})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", jsonl, err)
	}
	if r.start.IsZero() {
		return nil, fmt.Errorf("%s: no meta line", jsonl)
	}
	slices.Sort(r.stops)
	slices.Sort(r.epTerm)
	return r, nil
}
