package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
)

// limitMemory sets a soft memory limit in proportion to the input, unless
// GOMEMLIMIT is set: the Go runtime then collects and returns memory to the
// system sooner, which keeps the resident size of a large check near the
// live heap (about ten times the input) instead of twice it. Streams of
// unknown size (stdin) get no limit.
func limitMemory(paths []string) {
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
	const floor = 160 << 20
	debug.SetMemoryLimit(max(floor, 16*total))
}
