// Package chartscale holds the axis arithmetic that zerodrop's HTML reports
// (simulate's and verify's) share, so that both pages round their axes the
// same way and a change to it is made once.
package chartscale

import "math"

// NiceCeil rounds v up to 1, 2 or 5 times a power of ten, the top of an
// axis or the step between its ticks that a reader takes in at a glance.
// v ≤ 0 (an empty chart) gives 1, so an axis never has zero length.
func NiceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*e {
			return m * e
		}
	}
	return 10 * e
}
