package check

import (
	"runtime"
	"testing"

	"github.com/zerodrop/zerodrop/internal/benchgen"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// BenchmarkPeakHeap measures what a check holds when it holds the most:
// after the rules, with the model and every finding alive, on a generated
// stream of 20k objects read as Run reads it (each object modelled as
// parsed and its API struct released at once). The heap-B/object metric is that live
// heap, after a collection, over the heap before loading, per object; peak
// RSS follows it (bench/memory.sh).
func BenchmarkPeakHeap(b *testing.B) {
	const objects = 20_000
	data, err := benchgen.Objects(objects, 1)
	if err != nil {
		b.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	run := func() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		lr := load.Bytes("stream.yaml", data, load.Options{Prepare: inventory.ModelPreparer("", false)})
		opts := Options{DropPatches: true, release: true}
		AnalyzeWith(lr, opts, func(*Model) []finding.Finding {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = ms.HeapAlloc - before
			return nil
		})
	}
	// A first run fills what the process keeps for good (the converter's
	// plans of the API types, the intern tables): not what an input holds.
	run()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(peak)/objects, "heap-B/object")
}
