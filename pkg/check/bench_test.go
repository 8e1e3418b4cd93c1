package check_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/zerodrop/zerodrop/internal/benchgen"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// BenchmarkCheck measures the whole pipeline (parse, type, link, rules) on
// generated streams of 1k, 10k and 100k objects. Time per op divided by the
// object count should stay flat: the check is linear.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		c, err := benchgen.ScaleTo(benchgen.Default, n)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := benchgen.Write(&buf, c, 1); err != nil {
			b.Fatal(err)
		}
		data := buf.Bytes()
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				res := check.Analyze(load.Bytes("stream.yaml", data, load.Options{}), check.Options{})
				if len(res.Findings) == 0 || len(res.Errors) > 0 {
					b.Fatalf("unexpected result: %d findings, %d errors", len(res.Findings), len(res.Errors))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/object")
		})
	}
}

// BenchmarkAnalyze measures everything after parsing, on 10k objects.
func BenchmarkAnalyze(b *testing.B) {
	c, _ := benchgen.ScaleTo(benchgen.Default, 10_000)
	var buf bytes.Buffer
	if err := benchgen.Write(&buf, c, 1); err != nil {
		b.Fatal(err)
	}
	lr := load.Bytes("stream.yaml", buf.Bytes(), load.Options{})
	b.ReportAllocs()
	for b.Loop() {
		// Analyze sets namespaces on the objects; that is idempotent.
		check.Analyze(lr, check.Options{})
	}
}

// BenchmarkPeakHeap measures what a check holds when it holds the most:
// after the rules, with the model and every finding alive, on a generated
// stream of 20k objects. The heap-B/object metric is that live heap, after
// a collection, over the heap before loading, per object; peak RSS follows
// it (bench/memory.sh).
func BenchmarkPeakHeap(b *testing.B) {
	c, err := benchgen.ScaleTo(benchgen.Default, 20_000)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := benchgen.Write(&buf, c, 1); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	var ms runtime.MemStats
	var peak uint64
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		opts := check.Options{DropPatches: true}
		lr := load.Bytes("stream.yaml", data, load.Options{Prepare: inventory.Preparer("")})
		check.AnalyzeWith(lr, opts, func(*check.Model) []finding.Finding {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = ms.HeapAlloc - before
			return nil
		})
	}
	b.ReportMetric(float64(peak)/float64(c.Total()), "heap-B/object")
}
