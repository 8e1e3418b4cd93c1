package report

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/rules"
)

// InputErrorRule is the SARIF rule ID of input errors (documents that do not
// parse, files that cannot be read).
const InputErrorRule = "input-error"

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "error"
	case finding.Warning:
		return "warning"
	case finding.Info:
		return "note"
	}
	return "none"
}

// writeSARIF writes one SARIF 2.1.0 run, shaped for GitHub code scanning:
// every rule described, paths relative, lines at least 1.
func writeSARIF(w io.Writer, res *check.Result, opts Options) error {
	sarifLog, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI("zerodrop", docs.RepoURL)
	if opts.ToolVersion != "" {
		run.Tool.Driver.WithVersion(opts.ToolVersion)
	}

	for _, r := range rules.All() {
		run.Tool.Driver.AddRule(sarifRule(r.ID, r.Name, r.Title, r.Severity))
	}
	// A finding of a rule that is not registered (an older result read back,
	// a hand-made one) still needs a rule entry, or its ruleIndex is wrong.
	for _, f := range res.Findings {
		if _, err := run.GetRuleById(f.Rule); err != nil {
			run.Tool.Driver.AddRule(sarifRule(f.Rule, f.Name, f.Name, f.Severity))
		}
	}
	run.Tool.Driver.AddRule(sarif.NewRule(InputErrorRule).
		WithName(InputErrorRule).
		WithShortDescription(sarif.NewMultiformatMessageString("Input that zerodrop could not read")).
		WithFullDescription(sarif.NewMultiformatMessageString("A file could not be read, a document did not parse, or an object did not match its schema. The rest of the input was still checked, but this part was not.")).
		WithHelp(sarif.NewMultiformatMessageString("Fix the document so that kubectl would accept it, or exclude the file from the check.")).
		WithHelpURI(docs.RepoURL).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("error")))

	for _, f := range res.Findings {
		r := sarif.NewRuleResult(f.Rule).
			WithLevel(sarifLevel(f.Severity)).
			WithMessage(sarif.NewTextMessage(withFix(f)))
		if f.File != "" {
			r.AddLocation(sarifLocation(f.File, f.Line))
		}
		props := sarif.Properties{
			"name":     f.Name,
			"object":   f.Object,
			"evidence": nonNil(f.Evidence),
		}
		if f.Container != "" {
			props["container"] = f.Container
		}
		r.Properties = props
		if f.Suppressed {
			r.AddSuppression(sarifSuppression(f))
		}
		run.AddResult(r)
	}

	for _, e := range res.Errors {
		r := sarif.NewRuleResult(InputErrorRule).
			WithLevel("error").
			WithMessage(sarif.NewTextMessage(e.Message))
		if e.File != "" {
			r.AddLocation(sarifLocation(e.File, e.Line))
		}
		run.AddResult(r)
	}

	if res.Summary.NoExposure != "" {
		addNoExposure(run, res.Summary.NoExposure)
	}

	sarifLog.AddRun(run)
	raw, err := json.Marshal(sarifLog)
	if err != nil {
		return err
	}
	doc, err := tidySARIF(raw)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// NoExposureNotification is the SARIF descriptor ID of the run-level note
// that no AWS load balancer exposure was found.
const NoExposureNotification = "no-exposure"

// addNoExposure records "no AWS load balancer exposure found, and what was
// checked" as a tool execution notification of the run's invocation (SARIF
// 2.1.0, 3.20.21), described in the driver's notifications (3.19.24). The
// format keeps there what concerns the analysis as a whole rather than a
// place in a file; the SARIF viewers that show a run's invocation show it.
// It is deliberately not a result: a result is a problem at a location,
// GitHub code scanning rejects results without one, and a result pinned to
// some file would open an alert that closes and reopens as the input
// changes. Code scanning does not display invocation notifications, so for
// a job log the GitHub output prints the same sentence as a notice.
func addNoExposure(run *sarif.Run, msg string) {
	run.Tool.Driver.AddNotification(sarif.NewRule(NoExposureNotification).
		WithName(NoExposureNotification).
		WithShortDescription(sarif.NewMultiformatMessageString("No AWS load balancer exposure found")).
		WithFullDescription(sarif.NewMultiformatMessageString("The input was read, but no Ingress of the ALB class, no Service read as an AWS load balancer and no TargetGroupBinding sends traffic to a workload in it, so the load-balancer rules had nothing to judge. This is not a pass.")).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("note")))
	n := sarif.NewNotification().
		WithLevel("note").
		WithDescriptor(sarif.NewReportingDescriptorReference().WithId(NoExposureNotification).WithIndex(len(run.Tool.Driver.Notifications) - 1)).
		WithMessage(sarif.NewTextMessage(msg))
	run.AddInvocations(sarif.NewInvocation().WithExecutionSuccess(true).
		WithToolExecutionNotifications([]*sarif.Notification{n}))
}

// sarifRule describes a rule. The short description is its title; the help is
// its documentation page when there is one.
func sarifRule(id, name, title string, sev finding.Severity) *sarif.ReportingDescriptor {
	if title == "" {
		title = id
	}
	d := sarif.NewRule(id).
		WithShortDescription(sarif.NewMultiformatMessageString(title)).
		WithHelpURI(docs.RuleURL(id)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(sev)))
	if name != "" {
		d.WithName(name)
	}
	if page, ok := docs.Rule(id); ok && strings.TrimSpace(page) != "" {
		d.WithFullDescription(sarif.NewMultiformatMessageString(firstParagraph(page, title)))
		d.WithHelp(sarif.NewMultiformatMessageString(page).WithMarkdown(page))
	} else {
		d.WithFullDescription(sarif.NewMultiformatMessageString(title))
		d.WithHelp(sarif.NewMultiformatMessageString(title + ". See " + docs.RuleURL(id)))
	}
	return d
}

// firstParagraph picks a rule page's description: the first paragraph of
// its first section (the page's lead is metadata such as severity and
// scope), else its first paragraph, joined into one line; fallback when the
// page has no prose.
func firstParagraph(page, fallback string) string {
	lines := strings.Split(page, "\n")
	for i, line := range lines {
		if strings.HasPrefix(strings.TrimSpace(line), "## ") {
			if p := paragraphAt(lines[i+1:]); p != "" {
				return p
			}
			break
		}
	}
	if p := paragraphAt(lines); p != "" {
		return p
	}
	return fallback
}

// paragraphAt returns the first paragraph of prose in lines: headings before
// it are skipped; a code block ends the search.
func paragraphAt(lines []string) string {
	var para []string
	for _, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || strings.HasPrefix(t, "#"):
			if len(para) > 0 {
				return strings.Join(para, " ")
			}
		case strings.HasPrefix(t, "```"):
			return strings.Join(para, " ")
		default:
			para = append(para, t)
		}
	}
	return strings.Join(para, " ")
}

// sarifLocation points at a line of a file.
func sarifLocation(file string, line int) *sarif.Location {
	return sarif.NewLocationWithPhysicalLocation(sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(sarifURI(file))).
		WithRegion(sarif.NewRegion().WithStartLine(max(line, 1))))
}

// sarifSuppression records why a finding was set aside: an annotation on the
// object is an in-source suppression, the configuration an external one.
func sarifSuppression(f finding.Finding) *sarif.Suppression {
	kind := "external"
	if f.Suppression != nil && f.Suppression.By == "annotation" {
		kind = "inSource"
	}
	s := sarif.NewSuppression(kind).WithStatus("accepted")
	if f.Suppression != nil && f.Suppression.Reason != "" {
		s.WithJustifcation(f.Suppression.Reason)
	}
	if kind == "inSource" && f.File != "" {
		s.WithLocation(sarifLocation(f.File, f.Line))
	}
	return s
}

// sarifURI turns a file name into a relative URI reference: relative,
// slash-separated, percent-encoded where a URI needs it. A colon in the
// first segment is encoded too, or it would read as a URI scheme.
func sarifURI(file string) string {
	p := (&url.URL{Path: relPath(file)}).EscapedPath()
	first, rest, found := strings.Cut(p, "/")
	first = strings.ReplaceAll(first, ":", "%3A")
	if found {
		return first + "/" + rest
	}
	return first
}

// tidySARIF fixes two things the library's types cannot express: optional
// suppression fields are written as null (which the SARIF schema rejects),
// and an unsuppressed result must carry an empty suppressions array when any
// result of the run has suppressions (SARIF 2.1.0, 3.27.23).
func tidySARIF(raw []byte) (any, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	runs, _ := doc["runs"].([]any)
	for _, r := range runs {
		run, _ := r.(map[string]any)
		results, _ := run["results"].([]any)
		anySuppressed := false
		for _, x := range results {
			res, _ := x.(map[string]any)
			sups, ok := res["suppressions"].([]any)
			if !ok {
				continue
			}
			anySuppressed = true
			for _, s := range sups {
				if m, ok := s.(map[string]any); ok {
					for k, v := range m {
						if v == nil {
							delete(m, k)
						}
					}
				}
			}
		}
		if !anySuppressed {
			continue
		}
		for _, x := range results {
			if res, ok := x.(map[string]any); ok {
				if _, has := res["suppressions"]; !has {
					res["suppressions"] = []any{}
				}
			}
		}
	}
	return doc, nil
}
