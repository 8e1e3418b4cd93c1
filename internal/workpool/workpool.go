// Package workpool is zerodrop's one bounded worker pool: every engine that
// spreads independent work over the CPUs (loading documents, indexing the
// inventory, running the rules, encoding findings, Monte Carlo runs, fix's
// per-file work) goes through it, so that the bound, the ordering of
// results and the handling of errors are written and tested once. It is
// golang.org/x/sync/errgroup with a limit, fed ranges of indexes so that
// cheap items are handed out in chunks rather than one goroutine each.
package workpool

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Chunks calls fn(lo, hi) for consecutive ranges [lo, hi) of at most size
// indexes that together cover [0, n), running at most workers of them at
// a time (GOMAXPROCS when workers ≤ 0). Callers write results by index, so
// the outcome does not depend on the number of workers. With one worker
// (or one range) the ranges run in order on the calling goroutine. Chunks
// returns the first error fn returns; ranges not started by then are
// skipped.
func Chunks(n, size, workers int, fn func(lo, hi int) error) error {
	if n <= 0 {
		return nil
	}
	size = max(size, 1)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, (n+size-1)/size)
	if workers <= 1 {
		for lo := 0; lo < n; lo += size {
			if err := fn(lo, min(lo+size, n)); err != nil {
				return err
			}
		}
		return nil
	}
	var g errgroup.Group
	g.SetLimit(workers)
	var failed atomic.Bool
	for lo := 0; lo < n && !failed.Load(); lo += size {
		g.Go(func() error {
			if err := fn(lo, min(lo+size, n)); err != nil {
				failed.Store(true)
				return err
			}
			return nil
		})
	}
	return g.Wait()
}

// Each calls fn(i) for every i < n, at most workers at a time (GOMAXPROCS
// when workers ≤ 0): Chunks with ranges of one index, for items that each
// take long enough to be worth a goroutine (a rule, a Monte Carlo run, a
// file).
func Each(n, workers int, fn func(i int) error) error {
	return Chunks(n, 1, workers, func(lo, _ int) error { return fn(lo) })
}
