package chartscale

import "testing"

func TestNiceCeil(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{3, 5}, {0.7, 1}, {1200, 2000}, {0, 1}, {-4, 1}, {1, 1}, {2, 2}, {2.0001, 5}, {5, 5}, {5.5, 10}, {10, 10}, {0.013, 0.02},
	} {
		if got := NiceCeil(c.in); got != c.want {
			t.Errorf("NiceCeil(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
