package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
)

// TestParallelJSONMatchesEncoder checks that the parallel path for large
// results writes exactly what encoding the whole result at once writes.
func TestParallelJSONMatchesEncoder(t *testing.T) {
	res := &check.Result{SchemaVersion: check.SchemaVersion, Errors: []check.InputError{{File: "<a>.yaml", Line: 3, Message: "bad & broken"}},
		Notes: []inventory.Note{{Ref: inventory.Ref{Kind: "Ingress", Name: "x"}, File: "f", Line: 1, Message: "m"}}, Assumptions: []string{"a"},
		Summary: check.Summary{Files: 1, Objects: 2, Errors: 3}}
	for i := 0; i < 1000; i++ {
		res.Findings = append(res.Findings, finding.Finding{Rule: "ZD003", Name: "prestop", Severity: finding.Error,
			Object:    inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "ns", Name: fmt.Sprint("web-", i)},
			Container: "app", File: "<stdin>", Line: i, Message: "msg <with> & \"quotes\"", Fix: "fix",
			Evidence: []finding.Evidence{finding.Fact("x", int64(i), "manifest", "d")}, Suppressed: i%7 == 0})
	}
	var want bytes.Buffer
	if err := newEncoder(&want, "").Encode(res); err != nil {
		t.Fatal(err)
	}
	// One window, and windows that do not divide the findings evenly.
	defer func(w int) { findingsWindow = w }(findingsWindow)
	for _, w := range []int{findingsWindow, 64} {
		findingsWindow = w
		var got bytes.Buffer
		if err := writeJSON(&got, res, Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("window %d: parallel JSON differs from the encoder's:\n%s\n---\n%s", w, head(got.Bytes()), head(want.Bytes()))
		}
		if !json.Valid(got.Bytes()) {
			t.Fatal("invalid JSON")
		}
	}
}

func head(b []byte) []byte {
	if len(b) > 600 {
		return b[:600]
	}
	return b
}
