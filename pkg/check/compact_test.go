package check

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/finding"
)

// findingChunks keeps every finding in order, starts small (a check of one
// object must not allocate a full chunk per rule) and never holds more spare
// room than one full chunk.
func TestFindingChunks(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5, 100, 255, 256, 257, 1000, 5000} {
		var c findingChunks
		for i := range n {
			c.add(finding.Finding{Message: strconv.Itoa(i)})
		}
		if c.len() != n {
			t.Fatalf("n=%d: len %d", n, c.len())
		}
		room := 0
		for _, ch := range c {
			room += cap(ch)
		}
		if n > 0 && cap(c[0]) != firstChunkFindings {
			t.Errorf("n=%d: first chunk holds %d, want %d", n, cap(c[0]), firstChunkFindings)
		}
		if spare := room - n; spare >= chunkFindings && spare > n {
			t.Errorf("n=%d: %d findings of spare room", n, spare)
		}
		got := c.moveTo(nil)
		for i, f := range got {
			if f.Message != strconv.Itoa(i) {
				t.Fatalf("n=%d: finding %d is %q", n, i, f.Message)
			}
		}
		for i, ch := range c {
			if ch != nil {
				t.Errorf("n=%d: chunk %d kept after moveTo", n, i)
			}
		}
	}
}

// A rule's findings, past its first shareFrom, share an evidence list only
// with findings whose evidence is equal in every field, value type
// included; a list holding a value the key cannot spell is never shared.
func TestEvidenceSharing(t *testing.T) {
	base := func() []finding.Evidence {
		return []finding.Evidence{
			{Name: "a", Value: int64(30), Unit: "s", Source: "default", Detail: "d"},
			{Name: "b", Value: "x", Source: "manifest", Range: &finding.Bounds{Low: 1, High: 2, LowFrom: "l", HighFrom: "h"}},
		}
	}
	variants := map[string]func([]finding.Evidence){
		"value":       func(e []finding.Evidence) { e[0].Value = int64(31) },
		"value type":  func(e []finding.Evidence) { e[0].Value = int32(30) },
		"float":       func(e []finding.Evidence) { e[0].Value = 30.0 },
		"unit":        func(e []finding.Evidence) { e[0].Unit = "" },
		"name/unit":   func(e []finding.Evidence) { e[0].Name, e[0].Unit = "as", "" },
		"source":      func(e []finding.Evidence) { e[0].Source = "profile" },
		"detail":      func(e []finding.Evidence) { e[0].Detail = "e" },
		"no range":    func(e []finding.Evidence) { e[1].Range = nil },
		"range low":   func(e []finding.Evidence) { e[1].Range.Low = 0 },
		"range high":  func(e []finding.Evidence) { e[1].Range.High = 3 },
		"range from":  func(e []finding.Evidence) { e[1].Range.LowFrom = "" },
		"range until": func(e []finding.Evidence) { e[1].Range.HighFrom = "" },
		"bool":        func(e []finding.Evidence) { e[1].Value = true },
		"nil":         func(e []finding.Evidence) { e[1].Value = nil },
	}
	s := newSharer()
	few := s.compact(finding.Finding{Evidence: base()})
	for range shareFrom - 1 {
		if f := s.compact(finding.Finding{Evidence: base()}); &f.Evidence[0] == &few.Evidence[0] {
			t.Fatal("the first findings of a rule share evidence lists")
		}
	}
	first := s.compact(finding.Finding{Evidence: base()})
	again := s.compact(finding.Finding{Evidence: base()})
	if &first.Evidence[0] != &again.Evidence[0] {
		t.Error("equal evidence lists are not shared")
	}
	for name, change := range variants {
		ev := base()
		change(ev)
		want := append([]finding.Evidence(nil), ev...)
		f := s.compact(finding.Finding{Evidence: ev})
		if &f.Evidence[0] == &first.Evidence[0] {
			t.Errorf("%s: a different list shares the first one", name)
		}
		if !reflect.DeepEqual(f.Evidence, want) {
			t.Errorf("%s: evidence %+v, want %+v", name, f.Evidence, want)
		}
		if g := s.compact(finding.Finding{Evidence: want}); &g.Evidence[0] != &f.Evidence[0] {
			t.Errorf("%s: not shared with an equal list", name)
		}
	}
	odd := []finding.Evidence{{Name: "a", Value: []string{"x"}}}
	f, g := s.compact(finding.Finding{Evidence: odd}), s.compact(finding.Finding{Evidence: odd})
	if &f.Evidence[0] == &g.Evidence[0] {
		t.Error("a list with a value the key does not spell is shared")
	}
}

// Past a rule's first shareFrom findings, lists that differ still hold one
// copy of an equal range, and never one of a different range.
func TestRangeSharing(t *testing.T) {
	list := func(detail string, high int64) []finding.Evidence {
		return []finding.Evidence{{Name: "a", Value: high, Unit: "s", Source: "default", Detail: detail,
			Range: &finding.Bounds{Low: 1, High: high, LowFrom: "l", HighFrom: "h"}}}
	}
	s := newSharer()
	for range shareFrom {
		s.compact(finding.Finding{Evidence: list("x", 2)})
	}
	a := s.compact(finding.Finding{Evidence: list("a", 2)})
	b := s.compact(finding.Finding{Evidence: list("b", 2)})
	c := s.compact(finding.Finding{Evidence: list("c", 3)})
	if &a.Evidence[0] == &b.Evidence[0] {
		t.Fatal("lists with different details share one list")
	}
	if a.Evidence[0].Range != b.Evidence[0].Range {
		t.Error("equal ranges are held twice")
	}
	if c.Evidence[0].Range == a.Evidence[0].Range || c.Evidence[0].Range.High != 3 {
		t.Errorf("a different range is shared: %+v", *c.Evidence[0].Range)
	}
}
