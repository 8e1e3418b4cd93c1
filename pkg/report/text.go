package report

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// ANSI SGR codes used by the text format.
const (
	sgrBold   = "1"
	sgrDim    = "2"
	sgrRed    = "31"
	sgrYellow = "33"
	sgrCyan   = "36"
)

// painter adds ANSI colour when it is on and does nothing otherwise.
type painter bool

func (p painter) paint(code, s string) string {
	if !p || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) severity(s finding.Severity) string {
	switch s {
	case finding.Error:
		return p.paint(sgrRed, s.String())
	case finding.Warning:
		return p.paint(sgrYellow, s.String())
	case finding.Info:
		return p.paint(sgrCyan, s.String())
	}
	return s.String()
}

// writeText renders the report for people: findings grouped under their
// object, then input errors, notes, assumptions and a summary line. Every
// line stands on its own so that grep finds whole facts.
func writeText(w io.Writer, res *check.Result, opts Options) error {
	p := painter(opts.Color)
	var blocks []string

	for _, g := range groupByObject(res.Findings) {
		var b strings.Builder
		header := g.Ref.String()
		if at := position(g.File, g.Line); at != "" {
			header += "  (" + at + ")"
		}
		b.WriteString(p.paint(sgrBold, header) + "\n")
		for _, f := range g.Findings {
			textFinding(&b, f, p, opts.Verbose, opts.Width)
		}
		blocks = append(blocks, b.String())
	}

	if len(res.Errors) > 0 {
		var b strings.Builder
		b.WriteString(p.paint(sgrBold, "Input errors:") + "\n")
		for _, e := range res.Errors {
			line := e.Message
			if at := position(e.File, e.Line); at != "" {
				line = at + ": " + line
			}
			b.WriteString(p.paint(sgrRed, line) + "\n")
		}
		blocks = append(blocks, b.String())
	}

	if len(res.Notes) > 0 {
		var b strings.Builder
		b.WriteString(p.paint(sgrBold, "Notes:") + "\n")
		for _, n := range res.Notes {
			line := n.Message
			if n.Ref.Kind != "" || n.Ref.Name != "" {
				line = n.Ref.String() + ": " + line
			}
			if at := position(n.Pos.File, n.Pos.Line); at != "" {
				line = at + ": " + line
			}
			b.WriteString(line + "\n")
		}
		blocks = append(blocks, b.String())
	}

	if len(res.Assumptions) > 0 {
		var b strings.Builder
		b.WriteString(p.paint(sgrBold, "Assumptions:") + "\n")
		for _, a := range res.Assumptions {
			b.WriteString("  " + a + "\n")
		}
		blocks = append(blocks, b.String())
	}

	blocks = append(blocks, p.paint(sgrBold, summaryLine(res))+"\n")
	_, err := io.WriteString(w, strings.Join(blocks, "\n"))
	return err
}

// textFinding writes one finding under its object's header.
func textFinding(b *strings.Builder, f finding.Finding, p painter, verbose bool, width int) {
	head := "  " + f.Severity.String() + " " + title(f)
	if f.Container != "" {
		head += " [container " + f.Container + "]"
	}
	if f.Suppressed {
		// A suppressed finding is shown dimmed, in one piece, so that it
		// reads as set aside; its details only in verbose mode.
		b.WriteString(p.paint(sgrDim, head+"  suppressed ("+suppressionLabel(f)+")") + "\n")
		b.WriteString(p.paint(sgrDim, wrap(indent(f.Message, "    "), width)) + "\n")
		if verbose {
			var d strings.Builder
			textDetails(&d, f, verbose, width)
			if d.Len() > 0 {
				b.WriteString(p.paint(sgrDim, strings.TrimSuffix(d.String(), "\n")) + "\n")
			}
		}
		return
	}
	head = "  " + p.severity(f.Severity) + " " + title(f)
	if f.Container != "" {
		head += " [container " + f.Container + "]"
	}
	b.WriteString(head + "\n")
	b.WriteString(wrap(indent(f.Message, "    "), width) + "\n")
	textDetails(b, f, verbose, width)
}

// textDetails writes the numbers, the fix and, in verbose mode, the link to
// the rule's page.
func textDetails(b *strings.Builder, f finding.Finding, verbose bool, width int) {
	if len(f.Evidence) > 0 {
		if verbose {
			b.WriteString("    numbers:\n")
			for _, e := range f.Evidence {
				b.WriteString("      " + e.String() + "\n")
			}
		} else {
			b.WriteString(wrap("    numbers: "+compactEvidence(f.Evidence), width) + "\n")
		}
	}
	if f.Fix != "" {
		b.WriteString(wrap(indent("fix: "+f.Fix, "    "), width) + "\n")
	}
	if verbose && f.Rule != "" {
		b.WriteString("    docs: " + docs.RuleURL(f.Rule) + "\n")
	}
}

// compactEvidence lists evidence on one line: each value with its source,
// and the formula of derived values; -v shows every detail.
func compactEvidence(ev []finding.Evidence) string {
	parts := make([]string, 0, len(ev))
	for _, e := range ev {
		p := e.Name + " " + e.Text()
		if e.Source == timing.FromDerived && e.Detail != "" {
			p += " = " + e.Detail
		} else {
			p += " (" + string(e.Source) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// wrap breaks each line of s that is longer than width at spaces, so that
// a terminal does not split words; a continuation starts with the leading
// blanks of the line it continues. A word longer than width stays whole on
// its own line. Width 0 (not a terminal, or its width unknown) leaves s as it
// is, so pipes and goldens see one line per fact.
func wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if utf8.RuneCountInString(line) <= width {
			continue
		}
		lead := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		var out strings.Builder
		cur := lead + words[0]
		n := utf8.RuneCountInString(cur)
		for _, w := range words[1:] {
			wn := utf8.RuneCountInString(w)
			if n+1+wn > width {
				out.WriteString(cur + "\n")
				cur, n = lead+w, utf8.RuneCountInString(lead)+wn
				continue
			}
			cur += " " + w
			n += 1 + wn
		}
		out.WriteString(cur)
		lines[i] = out.String()
	}
	return strings.Join(lines, "\n")
}

// summaryLine is the last line of the text report.
func summaryLine(res *check.Result) string {
	sum := res.Summary
	var s string
	if len(res.Findings) == 0 && sum.Objects == 0 {
		// Nothing read is not a pass.
		s = "Nothing checked: no objects in " + plural(sum.Files, "file", "files")
	} else if len(res.Findings) == 0 {
		s = "No findings: " + plural(sum.Objects, "object", "objects") + " in " + plural(sum.Files, "file", "files") + " checked"
	} else {
		c := countFindings(res.Findings)
		s = plural(c.errors, "error", "errors") + ", " +
			plural(c.warnings, "warning", "warnings") + ", " +
			plural(c.infos, "info", "info") + ", " +
			plural(c.suppressed, "suppressed", "suppressed") + " in " +
			plural(sum.Objects, "object", "objects") + " (" + plural(sum.Files, "file", "files") + ")"
	}
	if n := len(res.Errors); n > 0 {
		s += "; " + plural(n, "input error", "input errors")
	}
	if sum.NoExposure != "" {
		s += "\n" + strings.ToUpper(sum.NoExposure[:1]) + sum.NoExposure[1:] + "."
	}
	return s
}
