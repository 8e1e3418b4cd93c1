package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/rules"
)

// TestRegistryIsWhole holds the rule registry and what belongs to a rule
// together: every rule has a documentation page, a failing case (a golden
// case in testdata/rules whose .want lists a finding of it) and a passing
// case (an empty .want); every page, every case and every .want belongs to
// a rule. Deleting a rule's page or its cases, or leaving either behind
// when a rule goes, fails here.
func TestRegistryIsWhole(t *testing.T) {
	all := rules.All()
	if len(all) == 0 {
		t.Fatal("no rules registered")
	}
	known := func(id string) bool {
		r := rules.Lookup(id)
		return r != nil && r.ID == id
	}
	cases, err := filepath.Glob("testdata/rules/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	failing, passing := map[string]int{}, map[string]int{}
	for _, path := range cases {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		id, _, _ := strings.Cut(name, "_")
		if !known(id) {
			t.Errorf("case %s belongs to no rule (a case is named RULE_what, e.g. ZD003_no_prestop)", path)
			continue
		}
		want, err := os.ReadFile(strings.TrimSuffix(path, ".yaml") + ".want")
		if err != nil {
			continue // TestRuleGolden says a .want is missing
		}
		if strings.TrimSpace(string(want)) == "" {
			passing[id]++
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 3 && fields[1] == id && fields[len(fields)-1] != "suppressed" {
				failing[id]++
				break
			}
		}
	}
	wants, err := filepath.Glob("testdata/rules/*.want")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range wants {
		if _, err := os.Stat(strings.TrimSuffix(path, ".want") + ".yaml"); err != nil {
			t.Errorf("%s has no case beside it (%s)", path, err)
		}
	}
	for _, r := range all {
		if strings.TrimSpace(r.Doc()) == "" {
			t.Errorf("rule %s (%s) has no documentation page docs/rules/%s.md", r.ID, r.Name, r.ID)
		}
		if failing[r.ID] == 0 {
			t.Errorf("rule %s (%s) has no failing case: no testdata/rules/%s_*.want lists a finding of it", r.ID, r.Name, r.ID)
		}
		if passing[r.ID] == 0 {
			t.Errorf("rule %s (%s) has no passing case: no testdata/rules/%s_*.want is empty", r.ID, r.Name, r.ID)
		}
	}
	pages := docs.RulePages()
	if len(pages) == 0 {
		t.Error("no rule pages embedded")
	}
	for _, id := range pages {
		if !known(id) {
			t.Errorf("docs/rules/%s.md belongs to no rule", id)
		}
	}
}
