package check

import (
	"strings"

	"github.com/zerodrop/zerodrop/pkg/load"
)

// NoObjects returns the input error for a read of opts' sources that found
// no Kubernetes object, or nil when objects > 0. A check that read nothing
// must not pass: an empty file, an empty stdin, a directory without
// manifests or a mistyped path would otherwise print "No findings" and exit
// 0 in CI.
func NoObjects(objects int, opts Options) *load.InputError {
	if objects > 0 {
		return nil
	}
	var src []string
	for _, p := range opts.Paths {
		if p == "-" {
			p = "stdin"
		}
		src = append(src, p)
	}
	for _, k := range opts.Kustomizations {
		src = append(src, "kustomization "+k)
	}
	for _, c := range opts.Charts {
		src = append(src, "chart "+c)
	}
	msg := "no Kubernetes objects in " + strings.Join(src, ", ")
	if len(src) == 0 {
		msg = "no Kubernetes objects: no input was given"
	}
	if opts.DefaultPath {
		msg += " (no path was given, so the current directory was read"
		if opts.StdinPending != nil && opts.StdinPending() {
			msg += "; stdin holds data: to read stdin, pass -"
		}
		msg += ")"
	}
	return &load.InputError{Message: msg + "; nothing was checked"}
}
