// Package report renders the result of a check for people (text), for
// programs (json), for code scanning (sarif), for CI test reports (junit) and
// for GitHub Actions annotations (github). It only presents findings; it never
// decides what is a finding.
package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
)

// Options tune the renderers. Each format uses only the options that mean
// something to it.
type Options struct {
	// Color turns on ANSI colours in the text format. The caller decides
	// (a terminal, NO_COLOR unset); the renderer never looks at the output.
	Color bool
	// Verbose makes the text format print each piece of evidence on its own
	// line, the documentation link and the details of suppressed findings.
	Verbose bool
	// ToolVersion is written into SARIF and JUnit output.
	ToolVersion string
	// Width wraps the text format's message, numbers and fix lines at word
	// boundaries to fit a terminal this many columns wide; 0 never wraps.
	Width int
}

var formats = []string{"text", "json", "sarif", "junit", "github"}

// Formats lists the output formats Write accepts, the default first.
func Formats() []string { return append([]string(nil), formats...) }

// Write renders res to w in the named format. An empty format means text.
func Write(w io.Writer, format string, res *check.Result, opts Options) error {
	var render func(io.Writer, *check.Result, Options) error
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", "text":
		render = writeText
	case "json":
		render = writeJSON
	case "sarif":
		render = writeSARIF
	case "junit":
		render = writeJUnit
	case "github":
		render = writeGitHub
	default:
		return fmt.Errorf("unknown output format %q (valid formats: %s)", format, strings.Join(formats, ", "))
	}
	if res == nil {
		return errors.New("report: no result to write")
	}
	return render(w, res, opts)
}

// objectGroup is the findings of one object, as the text and JUnit formats
// present them.
type objectGroup struct {
	Ref      inventory.Ref
	File     string
	Line     int
	Findings []finding.Finding
}

type objectKey struct {
	ref  inventory.Ref
	file string
	line int
}

// groupByObject collects findings per object. Files keep the order in which
// they first appear (the check sorts findings by file); objects of one file
// are ordered by line. Within an object, findings that count come first,
// worst first, then by rule ID; suppressed ones follow.
func groupByObject(fs []finding.Finding) []*objectGroup {
	fileRank := map[string]int{}
	byKey := map[objectKey]*objectGroup{}
	var groups []*objectGroup
	for _, f := range fs {
		if _, ok := fileRank[f.File]; !ok {
			fileRank[f.File] = len(fileRank)
		}
		k := objectKey{ref: f.Object, file: f.File, line: f.Line}
		g := byKey[k]
		if g == nil {
			g = &objectGroup{Ref: f.Object, File: f.File, Line: f.Line}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.Findings = append(g.Findings, f)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if fileRank[a.File] != fileRank[b.File] {
			return fileRank[a.File] < fileRank[b.File]
		}
		return a.Line < b.Line
	})
	for _, g := range groups {
		sort.SliceStable(g.Findings, func(i, j int) bool {
			a, b := g.Findings[i], g.Findings[j]
			if a.Suppressed != b.Suppressed {
				return !a.Suppressed
			}
			if a.Severity != b.Severity {
				return a.Severity > b.Severity
			}
			return a.Rule < b.Rule
		})
	}
	return groups
}

// position writes file:line, or the file alone when the line is unknown.
func position(file string, line int) string {
	if file == "" || line <= 0 {
		return file
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// withFix joins a finding's message and fix into one sentence run, for the
// formats that have a single message field.
func withFix(f finding.Finding) string {
	if f.Fix == "" {
		return f.Message
	}
	return f.Message + " Fix: " + f.Fix
}

// title is the short label of a finding: rule ID and name.
func title(f finding.Finding) string {
	if f.Name == "" {
		return f.Rule
	}
	return f.Rule + " " + f.Name
}

// suppressionLabel describes why a finding is suppressed: "annotation: reason".
func suppressionLabel(f finding.Finding) string {
	s := f.Suppression
	if s == nil {
		return "suppressed"
	}
	by := s.By
	if by == "" {
		by = "suppressed"
	}
	if s.Reason == "" {
		return by
	}
	return by + ": " + s.Reason
}

// evidenceList is a finding's evidence on one line.
func evidenceList(ev []finding.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

// counts tallies findings the way the summary line reports them.
type counts struct {
	errors, warnings, infos, suppressed int
}

func countFindings(fs []finding.Finding) counts {
	var c counts
	for _, f := range fs {
		if f.Suppressed {
			c.suppressed++
			continue
		}
		switch f.Severity {
		case finding.Error:
			c.errors++
		case finding.Warning:
			c.warnings++
		case finding.Info:
			c.infos++
		}
	}
	return c
}

// plural writes "1 error", "2 errors".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// getwd is replaced in tests.
var getwd = os.Getwd

// relPath turns a file name into a slash-separated path relative to the
// working directory, the form CI annotations and code scanning expect.
// Relative names are only cleaned. An absolute name that cannot be made
// relative loses its root instead, so that no absolute path leaks out.
func relPath(p string) string {
	if p == "" {
		return ""
	}
	if filepath.IsAbs(p) {
		if wd, err := getwd(); err == nil {
			if r, err := filepath.Rel(wd, p); err == nil {
				p = r
			}
		}
		if filepath.IsAbs(p) {
			p = strings.TrimLeft(strings.TrimPrefix(p, filepath.VolumeName(p)), `/\`)
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}
