package timing

import (
	"os"
	"strings"
	"testing"
)

// TestDocsShowTheBuiltInRanges keeps docs/timing.md's tables equal to the
// presets, so the page cannot drift from the code.
func TestDocsShowTheBuiltInRanges(t *testing.T) {
	page, err := os.ReadFile("../../docs/timing.md")
	if err != nil {
		t.Fatal(err)
	}
	want := Default().Describe()
	if !strings.Contains(string(page), want) {
		t.Errorf("docs/timing.md lacks the built-in ranges as `zerodrop explain timing` prints them:\n%s", want)
	}
	for _, k := range Keys() {
		if !strings.Contains(want, "`"+k+"`") {
			t.Errorf("Describe lacks %s", k)
		}
	}
	ps, err := ParseProfile("team.yaml", []byte("presets:\n  NLB/ip:\n    deregisterPropagation: {low: 120, high: 300}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := ps.Describe(); !strings.Contains(d, "| 120–300 |") || !strings.Contains(d, "set in team.yaml") || !strings.Contains(d, "team.yaml") {
		t.Errorf("a profile's ranges and sources are not shown:\n%s", d)
	}
}
