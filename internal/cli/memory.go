package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"
)

// limitMemory sets a soft memory limit in proportion to the input, unless
// GOMEMLIMIT is set: the Go runtime then collects and returns memory to the
// system by that limit rather than by heap growth, which keeps the resident
// size of a large check near the live heap and spends less time collecting.
// Streams of unknown size (stdin) have no limit; collectByStdin sizes their
// collection as they are read.
//
// The limit is ten times the input, at least 96 MiB: a check holds about
// two and a half times its input at its peak, so the collector still has
// room enough to run seldom (the 12,551-object stream of bench/check.sh,
// 10 MB, peaks at about 143 MB for 8% more CPU time than under the 160 MiB
// it had, which peaked at 183 MB; a 20 MB stream at about 220 MB instead
// of 270 MB for the same CPU time). Closer to what is held, it collects
// all the time: seven times a 20 MB stream doubles its CPU time.
func limitMemory(paths []string) { limitMemoryBy(paths, 10, 96<<20, hugeInput) }

// collectByStdin returns a load.Options.Read hook that collects a large
// stream on stdin as limitMemory does a huge file, once largeInput bytes of
// it have been read (its size is not known before); nil when nothing is
// read from stdin or the environment sets the collector. It does not wait
// for hugeInput bytes: what the heap grew to by then, collected at the
// default rate, stays scattered with the model among it (a 50 MB stream
// peaked 15 to 20 MB higher than from its file).
func collectByStdin(paths []string) func(int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || !slices.Contains(paths, "-") {
		return nil
	}
	var done atomic.Bool
	return func(total int64) {
		if total >= largeInput && !done.Swap(true) {
			debug.SetGCPercent(hugeGCPercent)
		}
	}
}

// limitMemoryBy sets the limit to perByte times the input size, at least
// floor bytes; from huge bytes of input on, the heap is collected by its
// growth again, and sooner than by default.
func limitMemoryBy(paths []string, perByte, floor, huge int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var total int64
	for _, p := range paths {
		if p == "-" {
			return
		}
		filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				total += info.Size()
			}
			return nil
		})
	}
	debug.SetMemoryLimit(max(floor, perByte*total))
	if os.Getenv("GOGC") != "" {
		return
	}
	switch {
	case total >= huge:
		// What a check holds at its peak is about two and a half times
		// its input, and the gaps between what it holds half as much
		// again: with the heap let grow to the limit, it is mostly
		// garbage (a 50 MB stream peaked over 800 MB). Collecting when
		// the heap has grown by a quarter keeps the peak near what is
		// held, for about a third more CPU time than letting it grow by
		// half, which peaks 10% higher.
		debug.SetGCPercent(hugeGCPercent)
	case total >= largeInput:
		// Under the limit, collecting every time the heap doubles only
		// costs CPU (a sixth of a large check): let it grow to the limit.
		// A small input keeps the default, so that what hostile input of
		// a few kilobytes makes (alias expansion, many tiny documents) is
		// collected early and the peak stays near the binary's own size.
		debug.SetGCPercent(400)
	}
}

// largeInput is the input size from which a check collects garbage by the
// memory limit rather than by heap growth; hugeInput the size from which
// it collects by heap growth again, at hugeGCPercent, because the limit
// (perByte times the input) is then far above what the check holds.
const (
	largeInput    = 4 << 20
	hugeInput     = 24 << 20
	hugeGCPercent = 25
)
