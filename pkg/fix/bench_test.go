package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerodrop/zerodrop/internal/benchgen"
	"github.com/zerodrop/zerodrop/pkg/check"
)

// BenchmarkFix measures a dry-run fix of a generated 10k-object stream
// against a check of the same file, in the same process: the target
// is fix under 3x check (bench/fix.sh measures the same on the binary).
//
//	go test -run '^$' -bench BenchmarkFix -count 6 ./pkg/fix | benchstat -
func BenchmarkFix(b *testing.B) {
	path, size := generatedStream(b, 10_000, 1)
	// The test-only parse of every trusted splice (TestMain) is not part of
	// what fix costs.
	verify := onUnverified
	onUnverified = nil
	defer func() { onUnverified = verify }()
	opts := check.Options{Paths: []string{path}}
	b.Run("op=check", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if res := check.Run(context.Background(), opts); len(res.Findings) == 0 {
				b.Fatal("no findings")
			}
		}
	})
	b.Run("op=fix", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			res, err := Run(context.Background(), Options{DryRun: true, Check: check.Options{Paths: []string{path}}})
			if err != nil || len(res.Changes) == 0 {
				b.Fatalf("fix: %v, %d changes", err, len(res.Changes))
			}
		}
	})
}

// generatedStream writes a stream of n objects of bench/check.sh's kinds
// and styles to a file, and returns its path and size.
func generatedStream(tb testing.TB, n int, seed uint64) (string, int64) {
	tb.Helper()
	data, err := benchgen.Objects(n, seed)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "stream.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, int64(len(data))
}
