package main

import (
	"strings"
	"testing"
)

// The sums say how measured counts sit in their bands: inside, the width,
// which side of the median and how far from it.
func TestBandStats(t *testing.T) {
	var g bandStats
	g.add(3, Band{P5: 1, P50: 4, P95: 11})   // inside, 1 below
	g.add(0, Band{P5: 1, P50: 4, P95: 11})   // outside, 4 below
	g.add(20, Band{P5: 5, P50: 10, P95: 15}) // outside, 10 above
	g.add(10, Band{P5: 5, P50: 10, P95: 15}) // inside, at
	var b strings.Builder
	g.print(&b, "x")
	if got, want := b.String(), "x\t2 of 4\t10.0\t2\t1\t1\t3.8\n"; got != want {
		t.Errorf("sums %q, want %q", got, want)
	}
}
