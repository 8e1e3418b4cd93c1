package timing

import (
	"fmt"
	"strings"
)

// Range is a delay known only within bounds: no public source gives one
// number for how long a load balancer keeps sending, only observations that
// span a range. Low and High are whole seconds, Low ≤ High; a point is a
// range with Low == High.
//
// check judges every inequality at the end that is conservative for it
// (for "the pod must wait at least this long", the high end) and says so;
// the simulator draws inside [Low, High].
type Range struct {
	Name string `json:"name"`
	Low  int64  `json:"low"`
	High int64  `json:"high"`
	// Source is where the range as a whole comes from: a preset, the
	// user's profile, a flag, or derived from other ranges.
	Source Source `json:"source"`
	// Detail says which default, file or formula.
	Detail string `json:"detail,omitempty"`
	// LowFrom and HighFrom cite the source of each end (a section of the
	// fact sheet and the report behind it); empty for derived ranges,
	// whose Detail shows the formula.
	LowFrom  string `json:"lowFrom,omitempty"`
	HighFrom string `json:"highFrom,omitempty"`
}

// Between builds a range with the source of each end.
func Between(name string, low, high int64, src Source, lowFrom, highFrom string) Range {
	return Range{Name: name, Low: low, High: high, Source: src, LowFrom: lowFrom, HighFrom: highFrom}
}

// Range turns a known number into a point range.
func (v Value) Range() Range {
	return Range{Name: v.Name, Low: v.Seconds, High: v.Seconds, Source: v.Source, Detail: v.Detail}
}

// Point reports whether the range is a single number.
func (r Range) Point() bool { return r.Low == r.High }

// String is "120–180s", or "30s" for a point.
func (r Range) String() string {
	if r.Point() {
		return fmt.Sprintf("%ds", r.Low)
	}
	return fmt.Sprintf("%d–%ds", r.Low, r.High)
}

// Span is the range without unit, for messages: "120–180" or "30".
func (r Range) Span() string {
	if r.Point() {
		return fmt.Sprint(r.Low)
	}
	return fmt.Sprintf("%d–%d", r.Low, r.High)
}

// Named returns a copy of r with another name.
func (r Range) Named(name string) Range { r.Name = name; return r }

// Plus returns r shifted by n seconds at both ends (a derived range).
func (r Range) Plus(name string, v Value) Range { return Sum(name, r, v.Range()) }

// Draw returns the point at fraction u ∈ [0, 1] of the range: Low at 0,
// High at 1. The simulator maps its random draws through it, so that every
// draw stays inside the range check judges against.
func (r Range) Draw(u float64) float64 {
	u = min(max(u, 0), 1)
	return float64(r.Low) + u*float64(r.High-r.Low)
}

// Sources describes where the ends come from, for reports and explain:
// "low: …; high: …", or the detail alone.
func (r Range) Sources() string {
	switch {
	case r.LowFrom == "" && r.HighFrom == "":
		return r.Detail
	case r.Point() || r.LowFrom == r.HighFrom:
		return first(r.LowFrom, r.HighFrom)
	}
	return "low: " + first(r.LowFrom, "-") + "; high: " + first(r.HighFrom, "-")
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Sum derives a range from parts: the lows add up to the low end, the
// highs to the high end. Detail shows the formula.
func Sum(name string, parts ...Range) Range {
	var lo, hi int64
	terms := make([]string, 0, len(parts))
	for _, p := range parts {
		lo += p.Low
		hi += p.High
		terms = append(terms, p.Name+" "+p.String())
	}
	return Range{Name: name, Low: lo, High: hi, Source: FromDerived, Detail: strings.Join(terms, " + ")}
}

// Times derives n × r, for a count of health checks times their interval.
func Times(name string, n Value, r Range) Range {
	return Range{Name: name, Low: n.Seconds * r.Low, High: n.Seconds * r.High, Source: FromDerived,
		Detail: fmt.Sprintf("%s %d × %s %s", n.Name, n.Seconds, r.Name, r)}
}

// Max derives the larger of two ranges, end by end.
func Max(name string, a, b Range) Range {
	return Range{Name: name, Low: max(a.Low, b.Low), High: max(a.High, b.High), Source: FromDerived,
		Detail: fmt.Sprintf("larger of %s %s and %s %s", a.Name, a, b.Name, b)}
}

// Covers compares a known number with a range it must reach: it returns
// "all" when have ≥ High, "low" when Low ≤ have < High (the number covers
// the low end only) and "none" when have < Low.
func (r Range) Covers(have int64) Coverage {
	switch {
	case have >= r.High:
		return CoversAll
	case have >= r.Low:
		return CoversLow
	}
	return CoversNone
}

// Coverage is how much of a range a number reaches.
type Coverage int

// Coverages.
const (
	CoversNone Coverage = iota // below the low end: fails at every draw
	CoversLow                  // inside the range: fails when the delay runs long
	CoversAll                  // at or above the high end
)
