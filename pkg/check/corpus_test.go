package check_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// corpusDir holds real-world manifests from public repositories, kept
// outside this repository (see its README for sources and licences).
const corpusDir = "../../../shared/corpus"

// TestCorpus checks every corpus file alone and the whole directory
// together (pairs like an Ingress and its Deployment live in separate
// files): nothing crashes, no valid file gets an input error, and the
// per-rule counts are printed for review.
func TestCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if len(files) == 0 {
		t.Skipf("no corpus at %s: skipping the corpus evaluation (it needs the shared corpus next to the repository)", corpusDir)
	}
	for _, f := range files {
		res := check.Run(context.Background(), check.Options{Paths: []string{f}})
		for _, e := range res.Errors {
			t.Errorf("%s:%d: input error on a valid corpus file: %s", e.File, e.Line, e.Message)
		}
		if res.Summary.Objects == 0 {
			t.Errorf("%s: no object read", f)
		}
	}
	res := check.Run(context.Background(), check.Options{Paths: []string{corpusDir}, Load: load.Options{Recursive: true}})
	if len(res.Errors) > 0 {
		t.Errorf("input errors over the whole corpus: %+v", res.Errors)
	}
	if res.Summary.Exposures == 0 || len(res.Findings) == 0 {
		t.Fatalf("the corpus holds ALB/NLB/CLB exposures with known problems, but none were found: %+v", res.Summary)
	}
	counts := map[string]int{}
	for _, f := range res.Findings {
		counts[fmt.Sprintf("%s %-20s %s", f.Rule, f.Name, f.Severity)]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-40s %d\n", k, counts[k])
	}
	t.Logf("corpus: %d files, %d objects, %d workloads, %d exposures; findings per rule:\n%s",
		res.Summary.Files, res.Summary.Objects, res.Summary.Workloads, res.Summary.Exposures, b.String())
}
