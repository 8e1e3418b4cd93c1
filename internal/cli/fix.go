package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/fix"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
)

type fixFlags struct {
	check        checkFlags
	dryRun       bool
	fixRules     string
	allowReplace bool
	probePath    string
	patchDir     string
}

func newFixCmd() *cobra.Command {
	var f fixFlags
	c := &cobra.Command{
		Use:   "fix [PATH...]",
		Short: "Apply the fixes to your files, keeping comments and key order",
		Long: `Fix applies the change each finding of 'zerodrop check' proposes, in your own
files: only the lines that change are written (new keys after their mapping's
last line, replaced values over the old ones); indentation, blank lines,
comments and key order stay as they were, and JSON stays JSON. It checks
again after each round (moving to ip targets, say, changes the preStop a pod
needs) and stops when nothing fixable is left; a second run changes nothing.

Files are rewritten atomically (temporary file, fsync, rename; mode kept) or
not at all, in their own encoding (UTF-8 or UTF-16, byte order mark and line
ends kept); documents fix did not edit keep every byte. A file saved by
someone else while fix ran is not overwritten. A file with an input error is
never written. Symlinks and read-only files are refused with an error; the
rest proceeds.

New objects (a PodDisruptionBudget, a Namespace carrying the readiness-gate
label) are written next to the workload they belong to; the next fix reads
them from there. Every finding left is listed with the reason fix leaves it.

For output you cannot edit (Helm, generators, kustomize builds), -o patch
--patch-dir DIR writes strategic-merge patches and a kustomization fragment
listing them instead; with -k, the patches name objects as the source files
do, so they apply in the overlay before its namePrefix and namespace; with -k
and --dry-run, the diff shows the changes to the build. A build cannot be
edited in place, so -k needs one of the two.

Exit codes: 0 nothing fixable left, 1 findings remain that fix could not
apply, 2 usage or input errors.`,
		Example: `  zerodrop fix --dry-run examples/seed/naive      # show the diff, write nothing
  zerodrop fix -R manifests/ --rules ZD003,ZD004
  zerodrop fix app.yaml --kube-version 1.29 --probe-path /healthz
  helm template my-chart | zerodrop fix - -o patch --patch-dir patches/`,
		RunE: func(c *cobra.Command, args []string) error { return runFix(c, &f, args) },
	}
	f.check.addManifestFlags(c, "text", "json", "patch (kustomize patches in --patch-dir)")
	fl := c.Flags()
	fl.BoolVar(&f.dryRun, "dry-run", false, "print a unified diff of what would change and write nothing")
	fl.StringVar(&f.fixRules, "rules", "", "apply only the fixes of these rules, comma-separated IDs or names")
	fl.BoolVar(&f.allowReplace, "allow-replace", false, "allow fixes that replace a cloud load balancer (moving an in-tree NLB/CLB Service to the AWS Load Balancer Controller)")
	fl.StringVar(&f.probePath, "probe-path", "", "readiness probes added by ZD005 use httpGet on this path (default: tcpSocket on the served port)")
	fl.StringVar(&f.patchDir, "patch-dir", "", "directory for -o patch")
	return c
}

func runFix(c *cobra.Command, f *fixFlags, args []string) error {
	switch f.check.output {
	case "text", "json":
		if f.patchDir != "" {
			return usageError("--patch-dir needs -o patch")
		}
	case "patch":
		if f.patchDir == "" {
			return usageError("-o patch needs --patch-dir DIR")
		}
	default:
		return usageError("--output %q: want text, json or patch", f.check.output)
	}
	copts, err := buildOptions(c, &f.check, args)
	if err != nil {
		return err
	}
	if len(copts.Kustomizations) > 0 && f.check.output != "patch" && !f.dryRun {
		return usageError("a kustomize build cannot be edited in place: use -o patch --patch-dir DIR (or --dry-run)")
	}
	if len(copts.Charts) > 0 && f.check.output != "patch" && !f.dryRun {
		return usageError("a Helm chart's templates are not edited: use -o patch --patch-dir DIR to write kustomize patches for a post-renderer (or --dry-run); see docs/commands/fix.md")
	}
	copts.ProbePath = f.probePath
	opts := fix.Options{Check: copts, DryRun: f.dryRun, AllowReplace: f.allowReplace, Stdout: c.OutOrStdout()}
	if f.check.output == "patch" {
		opts.PatchDir = f.patchDir
	}
	if f.fixRules != "" {
		opts.Rules = map[string]bool{}
		for _, id := range strings.Split(f.fixRules, ",") {
			r := rules.Lookup(strings.TrimSpace(id))
			if r == nil {
				return usageError("--rules: unknown rule %q; 'zerodrop rules' lists them", id)
			}
			opts.Rules[r.ID] = true
		}
	}
	// Fixing holds every edited document's node tree next to the typed
	// objects: a larger allowance than check's.
	limitMemoryBy(copts.Paths, 80, 512<<20, math.MaxInt64)
	bars := &stages{w: c.ErrOrStderr(), show: isTerminal(c.ErrOrStderr())}
	opts.Progress = bars.Report
	res, err := fix.Run(c.Context(), opts)
	bars.Done()
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	out := c.OutOrStdout()
	stdinOnly := len(copts.Paths) == 1 && copts.Paths[0] == "-" && !f.dryRun && opts.PatchDir == ""
	report := out
	if stdinOnly {
		// The fixed stream goes to stdout; the report must not mix with it.
		report = c.ErrOrStderr()
	}
	if f.check.output == "json" {
		enc := json.NewEncoder(report)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		writeFixText(report, res, f.dryRun)
	}
	failed := false
	for _, fr := range res.Files {
		if fr.Error != "" {
			failed = true
		}
	}
	switch {
	case len(res.Errors) > 0 || failed:
		return &exitError{code: ExitInput}
	case remainingAtOrAbove(res, copts.FailOn):
		return &exitError{code: ExitFindings}
	}
	return nil
}

// remainingAtOrAbove reports findings left at or above the --fail-on grade.
func remainingAtOrAbove(res *fix.Result, failOn finding.Severity) bool {
	for _, f := range res.Remaining {
		if failOn != 0 && f.Severity >= failOn {
			return true
		}
	}
	return false
}

func writeFixText(w io.Writer, res *fix.Result, dryRun bool) {
	if dryRun {
		for _, fr := range res.Files {
			from := "a/" + strings.TrimPrefix(fr.Path, "/")
			if fr.Created {
				from = "/dev/null"
			}
			writeDiff(w, from, "b/"+strings.TrimPrefix(fr.Path, "/"), fr.Before, fr.After)
		}
	}
	verb := "fixed"
	if dryRun {
		verb = "would fix"
	}
	for _, ch := range res.Changes {
		fmt.Fprintf(w, "%s %s %s (%s): %s\n    why: %s\n", verb, ch.Rule, ch.Object, ch.File, ch.What, ch.Why)
	}
	for _, a := range res.Adopted {
		fmt.Fprintf(w, "read %s (written by an earlier fix)\n", a)
	}
	// A skip whose finding is left is said once, with the finding.
	left := map[string]bool{}
	for _, l := range res.Left {
		left[l.Rule+"|"+l.Object.String()] = true
	}
	for _, s := range res.Skipped {
		if !left[s.Rule+"|"+s.Object.String()] {
			fmt.Fprintf(w, "not fixed %s %s: %s\n", s.Rule, s.Object, s.Reason)
		}
	}
	for _, l := range res.Left {
		fmt.Fprintf(w, "left %s %s %s (%s): %s\n", l.Severity, l.Rule, l.Object, load.Position{File: l.File, Line: l.Line}, l.Reason)
	}
	for _, fr := range res.Files {
		if fr.Error != "" {
			fmt.Fprintf(w, "error: %s\n", fr.Error)
		}
	}
	for _, e := range res.Errors {
		fmt.Fprintf(w, "input error: %s: %s\n", load.Position{File: e.File, Line: e.Line}, e.Message)
	}
	for _, p := range res.Patches {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	written := 0
	for _, fr := range res.Files {
		if fr.Written {
			written++
		}
	}
	if len(res.Changes) == 0 && len(res.Files) == 0 {
		fmt.Fprint(w, "nothing to fix")
		if n := len(res.Left); n > 0 {
			fmt.Fprintf(w, "; %d findings left that fix cannot fix (listed above)", n)
		}
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintf(w, "%d changes in %d files (%d written), %d findings left after %d rounds\n",
		len(res.Changes), len(res.Files), written, len(res.Left), res.Rounds)
}

// splitLines cuts text into lines that keep their newline. Unlike
// difflib.SplitLines it adds no empty line at the end, so the diff applies
// with patch and git apply.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// writeDiff writes a unified diff of a manifest file. Comparing whole files
// line by line is quadratic, and a rendered stream has hundreds of thousands
// of lines; fix never moves text across documents, so each document is
// compared with its counterpart, and the edits are then grouped into hunks
// over the whole file (context may run into the neighbouring documents, as
// patch and git apply expect).
func writeDiff(w io.Writer, from, to string, before, after []byte) {
	a, b := splitDocLines(before), splitDocLines(after)
	var la, lb []string
	var codes []difflib.OpCode
	for i := 0; i < max(len(a), len(b)); i++ {
		var da, db []string
		if i < len(a) {
			da = a[i]
		}
		if i < len(b) {
			db = b[i]
		}
		ai, bj := len(la), len(lb)
		if equalLines(da, db) {
			if len(da) > 0 {
				codes = append(codes, difflib.OpCode{Tag: 'e', I1: ai, I2: ai + len(da), J1: bj, J2: bj + len(db)})
			}
		} else {
			for _, c := range difflib.NewMatcher(da, db).GetOpCodes() {
				codes = append(codes, difflib.OpCode{Tag: c.Tag, I1: ai + c.I1, I2: ai + c.I2, J1: bj + c.J1, J2: bj + c.J2})
			}
		}
		la, lb = append(la, da...), append(lb, db...)
	}
	groups := groupOpCodes(codes, 3)
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "--- %s\n+++ %s\n", from, to)
	for _, g := range groups {
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(w, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2-first.I1), hunkRange(first.J1, last.J2-first.J1))
		for _, c := range g {
			if c.Tag == 'e' {
				for _, l := range la[c.I1:c.I2] {
					io.WriteString(w, " "+l)
				}
				continue
			}
			if c.Tag == 'r' || c.Tag == 'd' {
				for _, l := range la[c.I1:c.I2] {
					io.WriteString(w, "-"+l)
				}
			}
			if c.Tag == 'r' || c.Tag == 'i' {
				for _, l := range lb[c.J1:c.J2] {
					io.WriteString(w, "+"+l)
				}
			}
		}
	}
}

// groupOpCodes cuts edit operations into hunks with n lines of context, the
// way unified diffs are made.
func groupOpCodes(codes []difflib.OpCode, n int) [][]difflib.OpCode {
	changed := false
	for _, c := range codes {
		if c.Tag != 'e' {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	codes = append([]difflib.OpCode(nil), codes...)
	if c := codes[0]; c.Tag == 'e' {
		codes[0] = difflib.OpCode{Tag: 'e', I1: max(c.I1, c.I2-n), I2: c.I2, J1: max(c.J1, c.J2-n), J2: c.J2}
	}
	if c := codes[len(codes)-1]; c.Tag == 'e' {
		codes[len(codes)-1] = difflib.OpCode{Tag: 'e', I1: c.I1, I2: min(c.I2, c.I1+n), J1: c.J1, J2: min(c.J2, c.J1+n)}
	}
	var groups [][]difflib.OpCode
	var group []difflib.OpCode
	for _, c := range codes {
		if c.Tag == 'e' && c.I2-c.I1 > 2*n {
			group = append(group, difflib.OpCode{Tag: 'e', I1: c.I1, I2: min(c.I2, c.I1+n), J1: c.J1, J2: min(c.J2, c.J1+n)})
			groups = append(groups, group)
			group = nil
			c = difflib.OpCode{Tag: 'e', I1: max(c.I1, c.I2-n), I2: c.I2, J1: max(c.J1, c.J2-n), J2: c.J2}
		}
		group = append(group, c)
	}
	if len(group) > 0 && !(len(group) == 1 && group[0].Tag == 'e') {
		groups = append(groups, group)
	}
	var out [][]difflib.OpCode
	for _, g := range groups {
		keep := false
		for _, c := range g {
			if c.Tag != 'e' {
				keep = true
			}
		}
		if keep {
			out = append(out, g)
		}
	}
	return out
}

// hunkRange formats a unified-diff range: start is 0-based.
func hunkRange(start, length int) string {
	switch length {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, length)
}

// splitDocLines cuts a file into documents as the loader and fix do, each a
// list of lines that keep their newline (a document's separator line is
// its first); a last line without one gets the marker diff tools expect.
func splitDocLines(b []byte) [][]string {
	var docs [][]string
	for _, c := range load.Split(b) {
		lines := append(splitLines(c.Sep), splitLines(c.Body)...)
		if len(lines) > 0 {
			docs = append(docs, lines)
		}
	}
	if n := len(docs); n > 0 {
		last := docs[n-1]
		if l := last[len(last)-1]; !strings.HasSuffix(l, "\n") {
			last[len(last)-1] = l + "\n\\ No newline at end of file\n"
		}
	}
	return docs
}

func equalLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
