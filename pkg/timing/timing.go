// Package timing holds the delays no manifest states (controller reconcile,
// load-balancer propagation, app shutdown) and derives from them, per
// exposure, the numbers every rule and the simulator share: how long until a
// new pod gets traffic, how long until a deleted pod stops getting it, and so
// the preStop and grace period a pod needs.
//
// A number read from a manifest is a Value; a delay no manifest states is a
// Range [low, high] with the source of each end, because the public figures
// are observations that span a range, not one number. Both say where they
// came from, so a finding can show its working.
package timing

import (
	"fmt"
)

// Source says where a number came from.
type Source string

// Sources of numbers.
const (
	FromAnnotation Source = "annotation" // an annotation on an object
	FromManifest   Source = "manifest"   // a field of an object
	FromDefault    Source = "default"    // a Kubernetes, AWS or controller default
	FromPreset     Source = "preset"     // zerodrop's built-in timing preset
	FromProfile    Source = "profile"    // the user's --profile file
	FromFlag       Source = "flag"       // a command-line flag
	FromDerived    Source = "derived"    // computed from other values
)

// Value is a number of seconds with its provenance.
type Value struct {
	Name    string `json:"name"`
	Seconds int64  `json:"seconds"`
	Source  Source `json:"source"`
	// Detail says which annotation, field, default or formula.
	Detail string `json:"detail,omitempty"`
}

func (v Value) String() string { return fmt.Sprintf("%ds", v.Seconds) }

// Named returns a copy of v with another name.
func (v Value) Named(name string) Value { v.Name = name; return v }

// LB is a kind of AWS load balancer.
type LB string

// Load balancer kinds.
const (
	ALB LB = "ALB"
	NLB LB = "NLB"
	CLB LB = "CLB"
)

// Target types.
const (
	TargetIP       = "ip"
	TargetInstance = "instance"
)
