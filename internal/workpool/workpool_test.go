package workpool

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Every index is visited exactly once, in ranges of the size asked for,
// whatever the number of workers.
func TestChunksCoverEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ n, size, workers int }{
		{0, 4, 2}, {1, 4, 2}, {10, 3, 1}, {10, 3, 4}, {1000, 64, 0}, {1000, 1, 8}, {7, 0, 3}, {5, 100, 8},
	} {
		seen := make([]atomic.Int32, c.n)
		var calls atomic.Int32
		err := Chunks(c.n, c.size, c.workers, func(lo, hi int) error {
			calls.Add(1)
			if hi <= lo || hi-lo > max(c.size, 1) || hi > c.n {
				t.Errorf("%+v: range [%d,%d)", c, lo, hi)
			}
			for i := lo; i < hi; i++ {
				seen[i].Add(1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if seen[i].Load() != 1 {
				t.Fatalf("%+v: index %d visited %d times", c, i, seen[i].Load())
			}
		}
		if want := (c.n + max(c.size, 1) - 1) / max(c.size, 1); int(calls.Load()) != want {
			t.Errorf("%+v: %d ranges, want %d", c, calls.Load(), want)
		}
	}
}

// No more than workers ranges run at once, and they do run side by side.
func TestChunksBound(t *testing.T) {
	var now, peak atomic.Int32
	err := Each(40, 3, func(int) error {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		now.Add(-1)
		return nil
	})
	if err != nil || peak.Load() > 3 || peak.Load() < 2 {
		t.Errorf("peak %d workers at once, err %v; want 2 or 3", peak.Load(), err)
	}
}

// One worker runs the ranges in order on the caller's goroutine, and stops
// at the first error.
func TestChunksSequentialAndErrors(t *testing.T) {
	var order []int
	boom := errors.New("boom")
	err := Chunks(10, 2, 1, func(lo, hi int) error {
		order = append(order, lo)
		if lo == 4 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || len(order) != 3 || order[2] != 4 {
		t.Errorf("err %v, ranges started %v", err, order)
	}
	// In parallel the first error comes back and later ranges are skipped.
	var ran atomic.Int32
	err = Each(10000, 4, func(i int) error {
		ran.Add(1)
		if i == 0 {
			return boom
		}
		time.Sleep(10 * time.Microsecond)
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() == 10000 {
		t.Errorf("err %v, %d of 10000 ran after an error", err, ran.Load())
	}
}
