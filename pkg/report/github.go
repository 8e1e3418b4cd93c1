package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
)

// writeGitHub writes GitHub Actions workflow commands, one annotation per
// finding that counts and per input error. A run that found no AWS load
// balancer exposure says so in a notice; suppressed findings are only
// counted, in a final notice.
func writeGitHub(w io.Writer, res *check.Result, _ Options) error {
	var b strings.Builder
	suppressed := 0
	for _, f := range res.Findings {
		if f.Suppressed {
			suppressed++
			continue
		}
		b.WriteString(ghCommand(ghLevel(f.Severity), f.File, f.Line, title(f), withFix(f)))
	}
	for _, e := range res.Errors {
		b.WriteString(ghCommand("error", e.File, e.Line, "input error", e.Message))
	}
	if ne := res.Summary.NoExposure; ne != "" {
		b.WriteString(ghCommand("notice", "", 0, "no AWS load balancer exposure", ne))
	}
	if suppressed > 0 {
		b.WriteString(ghCommand("notice", "", 0, "", plural(suppressed, "finding", "findings")+" suppressed"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ghLevel(s finding.Severity) string {
	switch s {
	case finding.Error:
		return "error"
	case finding.Warning:
		return "warning"
	}
	return "notice"
}

// ghCommand formats one workflow command line; empty properties are left out.
func ghCommand(cmd, file string, line int, title, msg string) string {
	var props []string
	if file != "" {
		props = append(props, "file="+ghEscapeProperty(relPath(file)))
	}
	if file != "" && line > 0 {
		props = append(props, "line="+strconv.Itoa(line))
	}
	if title != "" {
		props = append(props, "title="+ghEscapeProperty(title))
	}
	s := "::" + cmd
	if len(props) > 0 {
		s += " " + strings.Join(props, ",")
	}
	return fmt.Sprintf("%s::%s\n", s, ghEscapeData(msg))
}

// ghEscapeData escapes a command's message the way the Actions runner
// unescapes it.
func ghEscapeData(s string) string {
	s = strings.ReplaceAll(s, "%", "%25")
	s = strings.ReplaceAll(s, "\r", "%0D")
	return strings.ReplaceAll(s, "\n", "%0A")
}

// ghEscapeProperty escapes a property value, which also cannot hold the
// separators ':' and ','.
func ghEscapeProperty(s string) string {
	s = ghEscapeData(s)
	s = strings.ReplaceAll(s, ":", "%3A")
	return strings.ReplaceAll(s, ",", "%2C")
}
