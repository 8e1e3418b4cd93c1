package main

import (
	"fmt"
	"math"
	"slices"

	"github.com/zerodrop/zerodrop/pkg/sim"
)

// requestDurations measures a run's request durations from verify's JSON
// lines, as simulate's log-normal takes them: the median and the sigma
// whose mean matches the measured mean (sigma = sqrt(2 ln(mean/median))),
// so that by Little's law the model keeps as many requests in flight, and
// as many of the load balancer's pooled connections busy, as the lab did.
// It reads the successful requests before the first pod began terminating
// (all of them if none did), each from when verify sent it until its
// answer: the client's round trip through HAProxy, which bounds from above
// how long HAProxy's connection to the target was busy (HAProxy's own log
// reads 0 ms, its resolution, for 82–98 % of them in the eighth round).
//
// Before this, the lab gave simulate 2 ms and the default sigma 1 (a mean
// of 3.3 ms, 1.65 requests in flight at 500 requests/s) where quiet runs
// measure a median of 0.3–0.45 ms and a mean of 0.35–0.5 ms: the model's
// pool then kept three times as many connections busy at a stop and opened
// new ones through kube-proxy's rules far more often than HAProxy did
// (docs/lab.md, ninth round).
func requestDurations(jsonl string) (median, sigma float64, err error) {
	r, err := readRun(jsonl)
	if err != nil {
		return 0, 0, err
	}
	end := int64(math.MaxInt64)
	if len(r.stops) > 0 {
		end = r.stops[0]
	}
	var d []float64
	for _, s := range r.spans {
		if s.served && s.from < end && s.to > s.from {
			d = append(d, float64(s.to-s.from)/1e9)
		}
	}
	if len(d) < 10 {
		return 0, 0, fmt.Errorf("%s: %d successful requests before the event, too few to measure their durations", jsonl, len(d))
	}
	slices.Sort(d)
	median = d[len(d)/2]
	if len(d)%2 == 0 {
		median = (d[len(d)/2-1] + d[len(d)/2]) / 2
	}
	var sum float64
	for _, x := range d {
		sum += x
	}
	mean := sum / float64(len(d))
	if mean > median {
		sigma = math.Sqrt(2 * math.Log(mean/median))
	}
	return median, sigma, nil
}

// withDurations gives p the run's measured request durations (capped at
// its longest request), or keeps labParams' when the run has none.
func withDurations(p *sim.Params, jsonl string) (median, sigma float64, err error) {
	median, sigma, err = requestDurations(jsonl)
	if err != nil {
		return 0, 0, err
	}
	p.DurationMedian, p.DurationSigma = min(median, p.DurationMax), sigma
	return median, sigma, nil
}
