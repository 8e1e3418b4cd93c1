package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"runtime"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
)

// writeJSON writes the Result contract as indented JSON. Lists are always
// arrays, never null, so that consumers can iterate without checks; the
// caller's value is left as it is.
func writeJSON(w io.Writer, res *check.Result, _ Options) error {
	out := *res
	if out.SchemaVersion == "" {
		out.SchemaVersion = check.SchemaVersion
	}
	out.Errors = nonNil(res.Errors)
	out.Notes = nonNil(res.Notes)
	out.Assumptions = nonNil(res.Assumptions)
	bw := bufio.NewWriterSize(w, 1<<16)
	if len(res.Findings) < 256 {
		out.Findings = make([]finding.Finding, len(res.Findings))
		for i, f := range res.Findings {
			out.Findings[i] = withEvidence(f)
		}
		if err := newEncoder(bw, "").Encode(&out); err != nil {
			return err
		}
		return bw.Flush()
	}
	// A large result spends most of its time encoding findings, which are
	// independent: encode them in parallel, in the layout the encoder gives
	// the whole (the test compares both byte for byte), a window at a time
	// so that the encoded text is never held whole, nor the findings copied.
	sv, _ := json.Marshal(out.SchemaVersion)
	bw.WriteString("{\n  \"schemaVersion\": ")
	bw.Write(sv)
	bw.WriteString(",\n  \"findings\": [\n")
	for lo := 0; lo < len(res.Findings); lo += findingsWindow {
		hi := min(lo+findingsWindow, len(res.Findings))
		parts, err := encodeFindings(res.Findings[lo:hi])
		if err != nil {
			return err
		}
		for i, p := range parts {
			bw.WriteString("    ")
			bw.Write(p)
			if lo+i < len(res.Findings)-1 {
				bw.WriteString(",\n")
			} else {
				bw.WriteString("\n")
			}
		}
	}
	bw.WriteString("  ],\n")
	var tail bytes.Buffer
	rest := struct {
		Errors      []check.InputError `json:"errors"`
		Notes       []inventory.Note   `json:"notes"`
		Assumptions []string           `json:"assumptions"`
		Summary     check.Summary      `json:"summary"`
	}{out.Errors, out.Notes, out.Assumptions, out.Summary}
	if err := newEncoder(&tail, "").Encode(&rest); err != nil {
		return err
	}
	// Drop the tail object's own braces: its fields continue the result.
	t := bytes.TrimSuffix(bytes.TrimPrefix(tail.Bytes(), []byte("{\n")), []byte("}\n"))
	bw.Write(t)
	bw.WriteString("}\n")
	return bw.Flush()
}

// findingsWindow is how many findings are encoded before they are written.
var findingsWindow = 4096

// newEncoder indents by two spaces and keeps file names such as <stdin>
// readable (no HTML escaping).
func newEncoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	return enc
}

// encodeFindings encodes each finding as it sits in the result's findings
// array, on every CPU.
func encodeFindings(fs []finding.Finding) ([][]byte, error) {
	parts := make([][]byte, len(fs))
	err := workpool.Chunks(len(fs), 256, min(runtime.GOMAXPROCS(0), 8), func(lo, hi int) error {
		var buf bytes.Buffer
		enc := newEncoder(&buf, "    ")
		for i := lo; i < hi; i++ {
			buf.Reset()
			f := withEvidence(fs[i])
			if err := enc.Encode(&f); err != nil {
				return err
			}
			parts[i] = bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return parts, nil
}

// withEvidence returns f with an empty evidence list in place of nil.
func withEvidence(f finding.Finding) finding.Finding {
	if f.Evidence == nil {
		f.Evidence = []finding.Evidence{}
	}
	return f
}

// nonNil returns s, or an empty slice in place of nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
