package load_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
)

// sameRead fails unless reading data as a stream in batches gives the
// objects and errors, with their positions, that reading it whole gives.
func sameRead(t *testing.T, data []byte, opts load.Options) {
	t.Helper()
	whole := load.Bytes("in.yaml", data, opts)
	streamed := load.Reader("in.yaml", bytes.NewReader(data), opts)
	show := func(r *load.Result) string {
		var b strings.Builder
		for _, o := range r.Objects {
			fmt.Fprintf(&b, "%s %s/%s/%s\n", o.Pos, o.Kind, o.Namespace, o.Name)
		}
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "error %s\n", e.Error())
		}
		fmt.Fprintf(&b, "skipped %d files %d\n", r.Skipped, r.Files)
		return b.String()
	}
	if w, s := show(whole), show(streamed); w != s {
		t.Fatalf("read whole:\n%s\nread in batches:\n%s", w, s)
	}
}

// A stream is parsed in batches cut at separator lines: what is read must
// not depend on where the cuts fall.
func TestBatchesReadAsWhole(t *testing.T) {
	defer load.SetBatchBytes(64)()
	var all strings.Builder
	for _, s := range fuzzSeeds() {
		all.WriteString(s)
		all.WriteString("\n---\n")
	}
	inputs := append(fuzzSeeds(), all.String(), strings.Repeat(all.String(), 3))
	for i, in := range inputs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			// Pad the head past the first block the reader looks at, so
			// that the batched path is taken.
			pad := strings.Repeat("# padding comment line\n", 400)
			sameRead(t, []byte(pad+in), fuzzOptions)
			sameRead(t, []byte(in), fuzzOptions)
		})
	}
}

func FuzzBatches(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(strings.Repeat("# pad\n", 1400)+s+"\n---\n"+s), uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, batch uint16) {
		defer load.SetBatchBytes(int(batch%4096) + 64)()
		sameRead(t, data, fuzzOptions)
	})
}

// The alias budget is the stream's, not each document's: many documents
// each under the budget are refused once together they are over it.
func TestAliasBudgetPerStream(t *testing.T) {
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" +
		"a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n" // about 120 values each
	var b strings.Builder
	for i := range 100 {
		b.WriteString("---\n" + strings.ReplaceAll(doc, "NAME", fmt.Sprint("c", i)))
	}
	b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n")
	opts := load.Options{MaxAliasExpansion: 3000}
	res := load.Bytes("s.yaml", []byte(b.String()), opts)
	if n := len(res.Objects); n < 10 || n > 40 {
		t.Errorf("%d objects read, want the first 10 to 40 (3,000 values of about 120 per document) and the plain one", n)
	}
	if last := res.Objects[len(res.Objects)-1]; last.Name != "plain" {
		t.Errorf("the document without aliases was not read; last object %s", last.Name)
	}
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Message, "aliases in this stream expand to more than 3000 values") {
		t.Errorf("errors: %v", res.Errors)
	}
	// Each document alone is within the budget.
	one := load.Bytes("one.yaml", []byte(strings.ReplaceAll(doc, "NAME", "c")), opts)
	if len(one.Errors) != 0 || len(one.Objects) != 1 {
		t.Errorf("one document: %v", one.Errors)
	}
}

// Problems past the first thousand of a stream are counted, not listed.
func TestStreamErrorsCapped(t *testing.T) {
	data := []byte(strings.Repeat("---\nx\n", 5000))
	res := load.Bytes("junk.yaml", data, load.Options{})
	if len(res.Errors) != 1001 {
		t.Fatalf("%d errors listed, want 1000 and a count", len(res.Errors))
	}
	if last := res.Errors[1000]; last.Message != "4000 more problems in this stream, not listed (the first 1000 are)" {
		t.Errorf("last error: %v", last)
	}
}
