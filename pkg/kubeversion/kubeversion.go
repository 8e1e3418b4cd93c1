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

// Parse reads "1.30", "v1.30", "1.30+" or "1.30.2" (the patch part is free,
// e.g. "1.30.2-eks-1234"). MAJOR and MINOR must be whole numbers: "1x.30"
// or "1.30x" is refused, not read as 1.30.
func Parse(s string) (Version, error) {
	bad := fmt.Errorf("kube version %q: want MAJOR.MINOR such as 1.30", s)
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(t, ".", 3)
	if len(parts) < 2 {
		return Version{}, bad
	}
	major, ok := number(parts[0])
	if !ok || major < 1 {
		return Version{}, bad
	}
	minor, ok := number(strings.TrimSuffix(parts[1], "+"))
	if !ok {
		return Version{}, bad
	}
	return Version{Major: major, Minor: minor}, nil
}

// number reads a whole number of at most four digits and nothing else.
func number(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// FromServer reads the version an API server reports (discovery's
// version.Info Major and Minor; managed clusters write the minor as "30+").
func FromServer(major, minor string) (Version, error) {
	return Parse(major + "." + strings.TrimSuffix(minor, "+"))
}
