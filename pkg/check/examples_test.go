package check_test

import (
	"context"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// TestSeedExamples holds the examples to their promise: the write-up's
// first draft shows at least the four problems it is about, and the version
// with every recommendation applied has no error or warning.
func TestSeedExamples(t *testing.T) {
	naive := check.Run(context.Background(), check.Options{Paths: []string{"../../examples/seed/naive"}, Load: load.Options{Recursive: true}})
	if len(naive.Errors) > 0 {
		t.Fatalf("naive: input errors %+v", naive.Errors)
	}
	got := map[string]bool{}
	for _, f := range naive.Findings {
		got[f.Rule] = true
	}
	for _, want := range []string{"ZD001", "ZD003", "ZD005", "ZD006"} {
		if !got[want] {
			t.Errorf("naive: no %s finding", want)
		}
	}
	rec := check.Run(context.Background(), check.Options{Paths: []string{"../../examples/seed/recommended"}, Load: load.Options{Recursive: true}})
	if len(rec.Errors) > 0 {
		t.Fatalf("recommended: input errors %+v", rec.Errors)
	}
	for _, f := range rec.Findings {
		if f.Severity >= finding.Warning {
			t.Errorf("recommended: %s %s %s: %s", f.Severity, f.Rule, f.Object, f.Message)
		}
	}
	if rec.Summary.Exposures == 0 {
		t.Error("recommended: the ALB exposure was not found")
	}
}
