package agree

import (
	"os"
	"testing"
)

// Floors the sample must keep while rule-side fixes land: a change that
// makes check and simulate agree less fails the test. With
// ZERODROP_AGREE_STRICT=1 (bench/agree.sh STRICT=1) the targets of the
// issue apply instead: P1 no violation, P2 and P3 at least 99%.
const (
	floorP2 = 99.0
	floorP3 = 98.0
)

// checkTargets holds the differential test to its targets.
func checkTargets(t *testing.T, tally *Tally) {
	p2, p3 := floorP2, floorP3
	if os.Getenv("ZERODROP_AGREE_STRICT") == "1" {
		p2, p3 = 99, 99
	}
	if tally.P1 > 0 {
		t.Errorf("P1: %d configurations check clean but simulate drops", tally.P1)
	}
	if a := tally.P2Agreement(); a < p2 {
		t.Errorf("P2: %.2f%% of dropping events explained, want ≥ %.0f%%", a, p2)
	}
	if a := tally.P3Agreement(); a < p3 {
		t.Errorf("P3: %.2f%% of errors reproduced, want ≥ %.0f%%", a, p3)
	}
}
