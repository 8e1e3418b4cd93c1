package cli

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// A large input collects by the memory limit (GOGC 400 under a limit in
// proportion to the input); a small one, hostile input above all, keeps
// the default so that its peak stays small; a huge one collects by heap
// growth, early, since its limit is far above what it holds.
func TestLimitMemory(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	dir := t.TempDir()
	small, large := filepath.Join(dir, "small.yaml"), filepath.Join(dir, "large.yaml")
	hugeDir := t.TempDir()
	huge := filepath.Join(hugeDir, "huge.yaml")
	if err := os.WriteFile(small, []byte("apiVersion: v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(large)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(20 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if f, err = os.Create(huge); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(hugeInput); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, c := range []struct {
		paths []string
		gc    int
		limit int64
	}{
		{[]string{small}, 100, 96 << 20},
		{[]string{dir}, 400, 10 * (20<<20 + 15)},
		{[]string{large, "-"}, 100, math.MaxInt64},
		{[]string{huge}, hugeGCPercent, 10 * hugeInput},
	} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		limitMemory(c.paths)
		if gc := debug.SetGCPercent(100); gc != c.gc {
			t.Errorf("%v: GOGC %d, want %d", c.paths, gc, c.gc)
		}
		if l := debug.SetMemoryLimit(-1); l != c.limit {
			t.Errorf("%v: memory limit %d, want %d", c.paths, l, c.limit)
		}
	}
}

// A stream on stdin is collected as a huge file is once it is large: GOGC
// stays until largeInput bytes have come.
func TestCollectByStdin(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if collectByStdin([]string{"a.yaml"}) != nil {
		t.Error("a hook without stdin")
	}
	read := collectByStdin([]string{"a.yaml", "-"})
	read(largeInput - 1)
	if gc := debug.SetGCPercent(100); gc != 100 {
		t.Errorf("GOGC %d before largeInput bytes, want 100", gc)
	}
	read(largeInput)
	if gc := debug.SetGCPercent(100); gc != hugeGCPercent {
		t.Errorf("GOGC %d after largeInput bytes, want %d", gc, hugeGCPercent)
	}
	t.Setenv("GOGC", "200")
	if collectByStdin([]string{"-"}) != nil {
		t.Error("a hook although GOGC is set")
	}
}
