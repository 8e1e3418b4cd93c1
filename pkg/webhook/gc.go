package webhook

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// MemoryLimitEnv names the environment variable that carries the
// container's memory limit in bytes; the Helm chart fills it from the pod's
// own resources through the downward API.
const MemoryLimitEnv = "ZERODROP_MEMORY_LIMIT"

// GC settings derived from the memory limit (see GCFor).
const (
	// gcPercent -1 turns off collecting by heap growth: the soft limit
	// alone starts a collection.
	gcPercent = -1
	// reserve is the part of the container's limit the soft limit leaves
	// out: what the kernel counts that is not the Go heap (the binary's
	// code and data, about 50 MiB; stacks; the runtime's own structures),
	// and room for a burst (a relist after a lost watch) before the hard
	// limit.
	reserve = 144 << 20
)

// GCSettings are the garbage collector's settings of the webhook process.
type GCSettings struct {
	// Percent is the heap growth that triggers a collection (GOGC).
	Percent int
	// SoftLimit is the memory the runtime keeps the process under by
	// collecting sooner (GOMEMLIMIT), in bytes.
	SoftLimit int64
}

func (s GCSettings) String() string {
	gogc := strconv.Itoa(s.Percent)
	if s.Percent < 0 {
		gogc = "off"
	}
	return fmt.Sprintf("GOGC=%s GOMEMLIMIT=%dMiB", gogc, s.SoftLimit>>20)
}

// GCFor returns the settings for a container memory limit in bytes. The
// webhook's live heap is mostly its model of the cluster, which is marked
// on every collection: with the runtime's default (a collection each time
// the heap doubles) and a model of tens of megabytes, reviews at a few
// hundred per second start one every second or so, and each marks the whole
// model on a CPU the reviews are waiting for. Collecting only when the heap
// nears a soft limit below the container's (GOGC off) uses the memory the
// pod has anyway to collect as seldom as it allows: for a small model a
// collection every several seconds at 500 reviews/s instead of one a
// second with a heap allowed five times the live size (GOGC=400), and
// for a large one as often as before, since the limit bound it already.
// When the model grows towards the limit, the runtime collects sooner (at
// most half the CPU) and the limit still holds.
func GCFor(limit int64) GCSettings {
	return GCSettings{Percent: gcPercent, SoftLimit: max(limit/2, limit-reserve)}
}

// TuneGC applies GCFor to the container limit read from MemoryLimitEnv,
// and returns what it set. It does nothing (ok false) when the limit is not
// known, or when GOGC or GOMEMLIMIT are set: an operator's explicit setting
// wins. A limit that cannot be read is an error.
func TuneGC() (GCSettings, bool, error) {
	v := strings.TrimSpace(os.Getenv(MemoryLimitEnv))
	if v == "" || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return GCSettings{}, false, nil
	}
	limit, err := strconv.ParseInt(v, 10, 64)
	if err != nil || limit <= 0 {
		return GCSettings{}, false, fmt.Errorf("%s=%q: want the container's memory limit in bytes", MemoryLimitEnv, v)
	}
	s := GCFor(limit)
	debug.SetMemoryLimit(s.SoftLimit)
	debug.SetGCPercent(s.Percent)
	return s, true, nil
}
