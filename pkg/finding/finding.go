// Package finding defines what a rule reports: a problem on one object, how
// bad it is, the numbers behind it and the fix. Output formats render
// findings; they never compute them.
package finding

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Severity grades a finding.
type Severity int

// Severities, lowest first.
const (
	Info    Severity = iota + 1 // advice
	Warning                     // can drop requests under some conditions
	Error                       // will drop requests
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "none"
}

// ParseSeverity reads "info", "warning", "error" (and "none" as 0).
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	case "none", "never":
		return 0, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning, error or none)", s)
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads the severity from its name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return err
	}
	v, err := ParseSeverity(str)
	*s = v
	return err
}

// Evidence is one number or setting a finding used, with where it came from.
type Evidence struct {
	Name   string        `json:"name"`
	Value  any           `json:"value"`
	Unit   string        `json:"unit,omitempty"`
	Source timing.Source `json:"source"`
	Detail string        `json:"detail,omitempty"`
	// Range is set for a delay known only within bounds: its ends and the
	// source of each. Value is then the high end, the one check judges a
	// requirement against.
	Range *Bounds `json:"range,omitempty"`
}

// Bounds are the ends of a ranged delay, with their sources.
type Bounds struct {
	Low      int64  `json:"low"`
	High     int64  `json:"high"`
	LowFrom  string `json:"lowFrom,omitempty"`
	HighFrom string `json:"highFrom,omitempty"`
}

// Span turns a timing range into evidence; a point range reads like Seconds.
func Span(r timing.Range) Evidence {
	e := Evidence{Name: r.Name, Value: r.High, Unit: "s", Source: r.Source, Detail: r.Detail}
	if !r.Point() || r.LowFrom != "" || r.HighFrom != "" {
		e.Range = &Bounds{Low: r.Low, High: r.High, LowFrom: r.LowFrom, HighFrom: r.HighFrom}
	}
	return e
}

// Text is the value as printed: "120–180s" for a range, "30s" for a point.
func (e Evidence) Text() string {
	v := fmt.Sprint(e.Value)
	if e.Range != nil && e.Range.Low != e.Range.High {
		v = fmt.Sprintf("%d–%d", e.Range.Low, e.Range.High)
	}
	return v + e.Unit
}

// Seconds turns a timing value into evidence.
func Seconds(v timing.Value) Evidence {
	return Evidence{Name: v.Name, Value: v.Seconds, Unit: "s", Source: v.Source, Detail: v.Detail}
}

// Fact is evidence that is not a duration.
func Fact(name string, value any, source timing.Source, detail string) Evidence {
	return Evidence{Name: name, Value: value, Source: source, Detail: detail}
}

func (e Evidence) String() string {
	s := e.Name + " " + e.Text() + " (" + string(e.Source)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Range != nil && (e.Range.LowFrom != "" || e.Range.HighFrom != "") {
		if e.Range.LowFrom == e.Range.HighFrom {
			s += "; " + e.Range.LowFrom
		} else {
			s += "; low: " + e.Range.LowFrom + "; high: " + e.Range.HighFrom
		}
	}
	return s + ")"
}

// Suppression records why a finding is not counted.
type Suppression struct {
	// By is "annotation" or "config".
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
}

// Finding is one problem on one object.
type Finding struct {
	Rule      string        `json:"rule"`
	Name      string        `json:"name"`
	Severity  Severity      `json:"severity"`
	Object    inventory.Ref `json:"object"`
	Container string        `json:"container,omitempty"`
	File      string        `json:"file"`
	Line      int           `json:"line"`
	// Message says what will happen, with the numbers.
	Message string `json:"message"`
	// Fix says what to change.
	Fix      string     `json:"fix"`
	Evidence []Evidence `json:"evidence"`
	// Suppressed is set when an annotation or the config silenced the
	// finding; it is still reported, never dropped.
	Suppressed  bool         `json:"suppressed"`
	Suppression *Suppression `json:"suppression,omitempty"`
	// Fixable says `zerodrop fix` can apply the fix; Patch is how.
	Fixable bool   `json:"fixable"`
	Patch   *Patch `json:"-"`
}

// Patch is the machine-applicable part of a fix, computed by the rule from
// the same numbers as the finding so that a fixed object checks clean.
type Patch struct {
	// Target is the object to change.
	Target inventory.Ref
	// Merge is a strategic-merge patch body for Target (nested maps; lists
	// of containers merge by name). A nil value deletes a field.
	Merge map[string]any
	// Create is a whole new object, written when the object to change is
	// not in the input (a PodDisruptionBudget, a Namespace).
	Create map[string]any
	// Near is the file next to which a created object is written.
	Near string
	// Replaces is set when applying the change to a live object replaces
	// cloud resources (a Service moving to another load balancer type).
	Replaces bool
	// What says in a few words what the patch changes.
	What string
}
