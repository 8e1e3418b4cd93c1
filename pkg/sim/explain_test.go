package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	linksBegin = "<!-- rule-cause table: generated from sim.Links by TestDocsLinksTable; ZERODROP_UPDATE_DOCS=1 rewrites it -->\n"
	linksEnd   = "<!-- end of rule-cause table -->\n"
)

// docs/commands/simulate.md shows sim.Links as it is: the table cannot
// drift from the code that P2 and P3 judge with and that reports name their
// rules from.
func TestDocsLinksTable(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "commands", "simulate.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, linksBegin), strings.Index(doc, linksEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no rule-cause table between %q and %q", path, linksBegin, linksEnd)
	}
	want := LinksTable()
	if got := doc[i+len(linksBegin) : j]; got != want {
		if os.Getenv("ZERODROP_UPDATE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(doc[:i+len(linksBegin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the rule-cause table in %s differs from sim.Links; run ZERODROP_UPDATE_DOCS=1 go test ./pkg/sim -run TestDocsLinksTable\nwant:\n%s", path, want)
	}
}

// Every cause has a name, and every failure cause an event is judged by
// appears in the table (idle causes are steady: no event rule judges them).
func TestEveryCauseLinked(t *testing.T) {
	for _, c := range Causes() {
		if c.Name() == "" || c.String() == "" {
			t.Errorf("cause %d has no name or text", c)
		}
		if c.Steady() {
			continue
		}
		found := false
		for _, e := range Events() {
			found = found || len(RulesFor(c, e)) > 0
		}
		if !found {
			t.Errorf("cause %s is in no rule's row of sim.Links", c.Name())
		}
	}
}
