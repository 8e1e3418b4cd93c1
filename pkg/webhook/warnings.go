package webhook

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/rules"
)

// MaxWarningLength bounds one warning line: the API server may cut long
// warnings, and kubectl prints each on a line of its own.
const MaxWarningLength = 120

// maxDenyLength bounds the message of a denial.
const maxDenyLength = 1000

// warningLines renders findings as admission warnings, worst first, at most
// max of them with a last line counting the rest. It sorts fs.
func warningLines(fs []finding.Finding, self inventory.Ref, max int) []string {
	if len(fs) == 0 {
		return nil
	}
	sortFindings(fs)
	var out []string
	for i, f := range fs {
		if i == max {
			out = append(out, fmt.Sprintf("zerodrop: +%d more (zerodrop audit -n %s, or zerodrop check on the manifests, shows all)", len(fs)-max, namespaceOf(self, f)))
			break
		}
		out = append(out, warningLine(f, self))
	}
	return out
}

func namespaceOf(self inventory.Ref, f finding.Finding) string {
	if self.Namespace != "" {
		return self.Namespace
	}
	if f.Object.Namespace != "" {
		return f.Object.Namespace
	}
	return self.Name
}

// sortFindings orders findings in place by severity (worst first), then
// rule, object and container.
func sortFindings(out []finding.Finding) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Object.Name != b.Object.Name {
			return a.Object.Name < b.Object.Name
		}
		return a.Container < b.Container
	})
}

// warningLine is one finding in at most MaxWarningLength characters:
//
//	ZD003 prestop: Container web has no preStop hook; ALB sends for 5–20s after delete (zerodrop explain ZD003)
//
// A finding on another object than the admitted one names it first.
func warningLine(f finding.Finding, self inventory.Ref) string {
	head := f.Rule + " " + f.Name + ": "
	if f.Severity != finding.Error {
		head = f.Rule + " " + f.Name + " (" + f.Severity.String() + "): "
	}
	switch {
	case sameObject(f.Object, self):
	case f.Object.Kind == "Namespace":
		head = "namespace: " + head
	default:
		head = f.Object.Kind + "/" + f.Object.Name + ": " + head
	}
	tail := " (zerodrop explain " + f.Rule + ")"
	text := shortText(f, namespaceOf(self, f))
	room := MaxWarningLength - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail)
	return head + clip(text, room) + tail
}

// shortText says a finding in a few words: the first clause of its message,
// which the finding's rule may sharpen with its numbers (Rule.Warning).
func shortText(f finding.Finding, namespace string) string {
	text := firstClause(f.Message)
	if namespace != "" {
		text = strings.ReplaceAll(text, " in "+namespace+"'s", "'s")
		text = strings.ReplaceAll(text, " in "+namespace, "")
	}
	// "ALB (ip targets) via Ingress/web keeps ..." on Ingress/web itself
	// says the object twice.
	if m := viaSelf.FindStringSubmatch(text); m != nil && m[1] == f.Object.Kind+"/"+f.Object.Name {
		text = m[2]
	}
	if r := rules.Lookup(f.Rule); r != nil && r.Warning != nil {
		text = r.Warning(f, text)
	}
	return text
}

var viaSelf = regexp.MustCompile(`^(?:ALB|NLB|CLB) \((?:ip|instance) targets\) via (\S+) (.*)$`)

// firstClause cuts a message at its first colon, semicolon or full stop.
func firstClause(msg string) string {
	end := len(msg)
	for _, sep := range []string{": ", "; ", ". "} {
		if i := strings.Index(msg, sep); i >= 0 && i < end {
			end = i
		}
	}
	return strings.TrimSuffix(strings.TrimSpace(msg[:end]), ".")
}

// clip shortens s to n characters at a word boundary, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	cut := s
	for i := range s {
		if n--; n == 0 {
			cut = s[:i]
			break
		}
	}
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}

// denyMessage lists the error findings that deny an admission.
func denyMessage(errs []finding.Finding, self inventory.Ref) string {
	sortFindings(errs)
	var b strings.Builder
	fmt.Fprintf(&b, "zerodrop: %s/%s would drop requests (%d error", self.Kind, self.Name, len(errs))
	if len(errs) > 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for i, f := range errs {
		line := " " + strings.TrimSuffix(warningLine(f, self), " (zerodrop explain "+f.Rule+")") + ";"
		if b.Len()+len(line) > maxDenyLength-120 {
			fmt.Fprintf(&b, " +%d more;", len(errs)-i)
			break
		}
		b.WriteString(line)
	}
	fmt.Fprintf(&b, " see zerodrop explain %s; to accept the risk, annotate %s: %s with a reason", errs[0].Rule, "zerodrop.dev/ignore", errs[0].Rule)
	return b.String()
}
