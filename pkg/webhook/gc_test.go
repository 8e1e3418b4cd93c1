package webhook

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"testing"
)

func TestGCFor(t *testing.T) {
	for _, c := range []struct {
		limit, soft int64
	}{
		{320 << 20, 176 << 20}, // the chart's limit: 144MiB left out
		{1 << 30, 880 << 20},
		{200 << 20, 100 << 20}, // a small limit: at least half of it
	} {
		if got := GCFor(c.limit); got.SoftLimit != c.soft || got.Percent != -1 || got.String() != fmt.Sprintf("GOGC=off GOMEMLIMIT=%dMiB", c.soft>>20) {
			t.Errorf("GCFor(%d MiB) = %s, want GOGC=off GOMEMLIMIT=%dMiB", c.limit>>20, got, c.soft>>20)
		}
	}
}

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	t.Setenv(MemoryLimitEnv, "")
	if _, ok, err := TuneGC(); ok || err != nil {
		t.Errorf("without a limit: tuned %v, err %v; want neither", ok, err)
	}

	t.Setenv(MemoryLimitEnv, strconv.Itoa(320<<20))
	s, ok, err := TuneGC()
	if !ok || err != nil {
		t.Fatalf("with a limit: tuned %v, err %v", ok, err)
	}
	if got := debug.SetMemoryLimit(-1); got != s.SoftLimit || got != 176<<20 {
		t.Errorf("soft limit %d, want %d", got, int64(176<<20))
	}
	if got := debug.SetGCPercent(100); got != -1 {
		t.Errorf("GOGC %d, want off (-1)", got)
	}

	// An operator's own setting wins.
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Run(env, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			t.Setenv(env, "200")
			if _, ok, _ := TuneGC(); ok {
				t.Errorf("%s set: tuned anyway", env)
			}
			if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
				t.Errorf("%s set: soft limit changed to %d", env, got)
			}
		})
	}

	for _, bad := range []string{"320Mi", "-1", "0", "lots"} {
		t.Setenv(MemoryLimitEnv, bad)
		if _, ok, err := TuneGC(); ok || err == nil {
			t.Errorf("%s=%q: tuned %v, err %v; want an error", MemoryLimitEnv, bad, ok, err)
		}
	}
}
