package report

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
)

// writeJSON writes the Result contract as indented JSON. Lists are always
// arrays, never null, so that consumers can iterate without checks; the
// caller's value is left as it is.
func writeJSON(w io.Writer, res *check.Result, _ Options) error {
	out := *res
	if out.SchemaVersion == "" {
		out.SchemaVersion = check.SchemaVersion
	}
	out.Findings = make([]finding.Finding, len(res.Findings))
	for i, f := range res.Findings {
		if f.Evidence == nil {
			f.Evidence = []finding.Evidence{}
		}
		out.Findings[i] = f
	}
	out.Errors = nonNil(res.Errors)
	out.Notes = nonNil(res.Notes)
	out.Assumptions = nonNil(res.Assumptions)
	// Stream the encoding through a buffer; file names such as <stdin> stay
	// readable (no HTML escaping).
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return err
	}
	return bw.Flush()
}

// nonNil returns s, or an empty slice in place of nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
