package check_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/zerodrop/zerodrop/internal/intern"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// Objects share equal label maps (intern.Labels): a Service's selector is
// its Deployment's matchLabels. A stage that wrote into one would change
// every object sharing it. Run the whole check, patches and all, over every
// golden case and over a generated stream; once the rules have run, while
// the model is alive, look at every shared map.
func TestSharedLabelMapsUnchanged(t *testing.T) {
	cases, err := filepath.Glob("testdata/rules/*.yaml")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	inputs := map[string]*load.Result{
		"golden cases":     load.Paths(t.Context(), cases, nil, load.Options{Prepare: inventory.Preparer("")}),
		"generated stream": load.Bytes("stream.yaml", generated(t, 3000, 7), load.Options{}),
	}
	for name, lr := range inputs {
		shared := 0
		res := check.AnalyzeWith(lr, check.Options{}, func(m *check.Model) []finding.Finding {
			if err := intern.Unchanged(); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			// The sharing happens: selectors of Services are the very maps
			// some workload carries.
			maps := map[uintptr]bool{}
			for _, w := range m.Inventory.Workloads {
				if w.Selector != nil && w.Selector.MatchLabels != nil {
					maps[reflect.ValueOf(w.Selector.MatchLabels).Pointer()] = true
				}
			}
			for _, s := range m.Inventory.Services {
				if s.Spec.Selector != nil && maps[reflect.ValueOf(s.Spec.Selector).Pointer()] {
					shared++
				}
			}
			return nil
		})
		if len(res.Findings) == 0 {
			t.Errorf("%s: no findings", name)
		}
		if shared == 0 {
			t.Errorf("%s: no Service selector is shared with a workload: the test checks nothing", name)
		}
	}
}
