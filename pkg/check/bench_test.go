package check_test

import (
	"fmt"
	"testing"

	"github.com/zerodrop/zerodrop/internal/benchgen"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// BenchmarkCheck measures the whole pipeline (parse, type, link, rules) on
// generated streams of 1k, 10k and 100k objects. Time per op divided by the
// object count should stay flat: the check is linear.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		data := generated(b, n, 1)
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
	lr := load.Bytes("stream.yaml", generated(b, 10_000, 1), load.Options{})
	b.ReportAllocs()
	for b.Loop() {
		// Analyze sets namespaces on the objects; that is idempotent.
		check.Analyze(lr, check.Options{})
	}
}

// generated is a benchgen stream of n objects.
func generated(tb testing.TB, n int, seed uint64) []byte {
	tb.Helper()
	data, err := benchgen.Objects(n, seed)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}
