package check

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
)

// A small input runs its rules one after another on one goroutine, a large
// one side by side: both give the same findings, in the same order, with
// the same patches and evidence, for every rule case.
func TestSmallInputPathAgrees(t *testing.T) {
	files, err := filepath.Glob("testdata/rules/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule cases: %v", err)
	}
	small := smallInput
	defer func() { smallInput = small }()
	run := func(file string, limit int, opts Options) *Result {
		smallInput = limit
		lr := load.Paths(context.Background(), []string{file}, nil, load.Options{Prepare: opts.Load.Prepare})
		if len(lr.Objects) > small {
			t.Fatalf("%s: %d objects, not a small input", file, len(lr.Objects))
		}
		res, err := AnalyzeContext(context.Background(), lr, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	compared := 0
	for _, file := range files {
		for _, drop := range []bool{false, true} {
			opts := Options{DropPatches: drop}
			seq, par := run(file, small, opts), run(file, 0, opts)
			if !reflect.DeepEqual(seq.Findings, par.Findings) {
				t.Errorf("%s (drop patches %v): one after another\n%+v\nside by side\n%+v", file, drop, seq.Findings, par.Findings)
			}
			compared += len(seq.Findings)
		}
	}
	if compared == 0 {
		t.Fatal("no findings compared")
	}
}
