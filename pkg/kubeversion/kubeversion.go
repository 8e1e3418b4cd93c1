// Package kubeversion is the target cluster's Kubernetes minor version and
// what zerodrop's advice asks of it. It sits below the rules, the
// configuration and the drivers, which all read it.
package kubeversion

import (
	"fmt"
	"strings"
)

// Version is a Kubernetes minor version.
type Version struct {
	Major, Minor int
	// Assumed is true when the user did not give one.
	Assumed bool
}

// AtLeast reports whether the version is at least major.minor.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// NativeSleep reports whether the kubelet runs lifecycle.preStop.sleep
// (on by default from 1.30); before that the pod gets no delay.
func (v Version) NativeSleep() bool { return v.AtLeast(1, 30) }

// ServesPolicyV1beta1 reports whether the API server still serves
// policy/v1beta1 PodDisruptionBudgets (removed in 1.25).
func (v Version) ServesPolicyV1beta1() bool { return !v.AtLeast(1, 25) }

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Default is assumed when none is given: the oldest minor still in standard
// EKS support at the time of writing.
var Default = Version{Major: 1, Minor: 31, Assumed: true}

// Parse reads "1.30", "v1.30" or "1.30.2".
func Parse(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	var major, minor int
	parts := strings.SplitN(t, ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("kube version %q: want MAJOR.MINOR such as 1.30", s)
	}
	if _, err := fmt.Sscanf(parts[0], "%d", &major); err != nil || major < 1 {
		return Version{}, fmt.Errorf("kube version %q: want MAJOR.MINOR such as 1.30", s)
	}
	minorStr := strings.TrimRight(parts[1], "+")
	if _, err := fmt.Sscanf(minorStr, "%d", &minor); err != nil || minor < 0 {
		return Version{}, fmt.Errorf("kube version %q: want MAJOR.MINOR such as 1.30", s)
	}
	return Version{Major: major, Minor: minor}, nil
}

// FromServer reads the version an API server reports (discovery's
// version.Info Major and Minor; managed clusters write the minor as "30+").
func FromServer(major, minor string) (Version, error) {
	return Parse(major + "." + strings.TrimSuffix(minor, "+"))
}
