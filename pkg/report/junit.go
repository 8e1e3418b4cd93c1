package report

import (
	"encoding/xml"
	"io"
	"strings"

	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, Azure Pipelines and the
// test-report actions): a testsuites root with one testsuite.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string         `xml:"classname,attr"`
	Name      string         `xml:"name,attr"`
	File      string         `xml:"file,attr,omitempty"`
	Failures  []junitProblem `xml:"failure"`
	Errors    []junitProblem `xml:"error"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit writes one test case per object with findings: each finding
// that counts (warning or error) is a failure; info and suppressed findings
// are kept in the case's output. Each input error is a case with an error.
// The failures and errors counts are of test cases, as JUnit defines them.
func writeJUnit(w io.Writer, res *check.Result, opts Options) error {
	suite := junitSuite{Name: "zerodrop"}
	if opts.ToolVersion != "" {
		suite.Properties = []junitProperty{{Name: "zerodrop.version", Value: opts.ToolVersion}}
	}
	for _, g := range groupByObject(res.Findings) {
		c := junitCase{Classname: g.Ref.Kind, Name: g.Ref.Name, File: relPath(g.File)}
		if g.Ref.Namespace != "" {
			c.Name = g.Ref.Namespace + "/" + g.Ref.Name
		}
		var out []string
		for _, f := range g.Findings {
			switch {
			case f.Suppressed:
				out = append(out, "suppressed ("+suppressionLabel(f)+") "+findingLine(f))
			case f.Severity >= finding.Warning:
				c.Failures = append(c.Failures, junitProblem{Type: f.Rule, Message: f.Message, Text: junitDetails(f)})
			default:
				out = append(out, findingLine(f))
			}
		}
		c.SystemOut = strings.Join(out, "\n")
		suite.Cases = append(suite.Cases, c)
	}
	for _, e := range res.Errors {
		name := position(relPath(e.File), e.Line)
		if name == "" {
			name = "input"
		}
		suite.Cases = append(suite.Cases, junitCase{Classname: "input", Name: name, File: relPath(e.File),
			Errors: []junitProblem{{Type: InputErrorRule, Message: e.Message, Text: e.Message}}})
	}
	if len(suite.Cases) == 0 {
		// One passing case, so that the report is not empty; it says what
		// was checked when that was no load balancer at all.
		suite.Cases = []junitCase{{Classname: "zerodrop", Name: "zerodrop check", SystemOut: res.Summary.NoExposure}}
	}
	for _, c := range suite.Cases {
		suite.Tests++
		if len(c.Errors) > 0 {
			suite.Errors++
		} else if len(c.Failures) > 0 {
			suite.Failures++
		}
	}
	var out []string
	if ne := res.Summary.NoExposure; ne != "" {
		// A passing suite must still say that the load-balancer rules had
		// nothing to judge: as a property for tools that read them, and
		// first in the suite's output for people.
		suite.Properties = append(suite.Properties, junitProperty{Name: "zerodrop.noExposure", Value: ne})
		out = append(out, ne)
	}
	for _, n := range res.Notes {
		line := n.Message
		if n.Ref.Kind != "" || n.Ref.Name != "" {
			line = n.Ref.String() + ": " + line
		}
		if at := position(relPath(n.Pos.File), n.Pos.Line); at != "" {
			line = at + ": " + line
		}
		out = append(out, "note: "+line)
	}
	for _, a := range res.Assumptions {
		out = append(out, "assumed: "+a)
	}
	suite.SystemOut = strings.Join(out, "\n")

	doc := junitSuites{Name: "zerodrop", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors,
		Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// findingLine is a finding on one line, for test output.
func findingLine(f finding.Finding) string {
	s := f.Severity.String() + " " + title(f)
	if f.Container != "" {
		s += " [container " + f.Container + "]"
	}
	return s + ": " + withFix(f)
}

// junitDetails is the body of a failure: where, what, the numbers, the fix.
func junitDetails(f finding.Finding) string {
	var b strings.Builder
	b.WriteString(position(relPath(f.File), f.Line) + ": " + f.Object.String())
	if f.Container != "" {
		b.WriteString(" [container " + f.Container + "]")
	}
	b.WriteString("\n" + f.Severity.String() + " " + title(f) + "\n" + f.Message + "\n")
	if len(f.Evidence) > 0 {
		b.WriteString("numbers: " + evidenceList(f.Evidence) + "\n")
	}
	if f.Fix != "" {
		b.WriteString("fix: " + f.Fix + "\n")
	}
	if f.Rule != "" {
		b.WriteString("docs: " + docs.RuleURL(f.Rule) + "\n")
	}
	return b.String()
}
