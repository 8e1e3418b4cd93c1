package load_test

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
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

// A document over the size limit is refused where it starts, with its
// size, whether the stream is read whole or in batches and however the
// batches fall; the documents around it are read.
func TestOversizedDocumentInBatches(t *testing.T) {
	opts := load.Options{MaxDocumentBytes: 300}
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n" + strings.Repeat("  k: v # padding padding\n", 40)
	long := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: long}\ndata: {k: " + strings.Repeat("v", 1000) + "}\n"
	small := func(n int) string { return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", n) }
	inputs := []string{
		big,
		small(1) + "---\n" + big + "---\n" + small(2),
		small(1) + "---\n" + big + "--- # next\n" + small(2) + "---\n" + big,
		small(1) + "...\n" + big + "...\n" + small(2),
		small(1) + "---\n" + big + "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: inline}}\n" + small(3),
		big + "---",
		big + "--- {apiVersion: v1, kind: Namespace, metadata: {name: n}}",
		strings.Repeat("x", 2000),
		strings.Repeat("x", 2000) + "\n---\n" + small(4),
		small(1) + "---\n" + long + "---\n" + small(2),
		strings.ReplaceAll(small(1)+"---\n"+big+"---\n"+small(2), "\n", "\r\n"),
		"---" + strings.Repeat(" ", 500) + "\n" + small(5) + "---\n" + big + "---x\n" + small(6),
		strings.Repeat(small(7)+"---\n", 30),
		strings.Repeat(small(8)+"...\n", 30) + big,
		strings.Repeat(small(8)+"...\n", 30) + big + "...\n" + small(9),
		small(1) + "---\n" + strings.Repeat("x", 2000) + "\n--- " + small(2),
		small(1) + "---\n" + strings.Repeat("x", 2000) + "\n... #",
		small(1) + "---\n" + strings.Repeat("x", 2000) + "\n---",
		small(1) + "---\n" + strings.Repeat("x", 2000) + "\n--- x: y",
	}
	for i, in := range inputs {
		for _, batch := range []int{64, 100, 257, 1000, 1 << 20} {
			t.Run(fmt.Sprint(i, "/", batch), func(t *testing.T) {
				defer load.SetBatchBytes(batch)()
				pad := strings.Repeat("# padding comment line\n", 400)
				sameRead(t, []byte(pad+in), opts)
				sameRead(t, []byte(in), opts)
				// Padding in documents of its own, so that the stream is
				// read in batches and the input's first document is not
				// the first of the stream.
				sameRead(t, []byte(strings.Repeat("# pad\n---\n", 2500)+in), opts)
			})
		}
	}
	res := load.Reader("in.yaml", strings.NewReader(strings.Repeat("# pad\n---\n", 1000)+inputs[1]), opts)
	if len(res.Objects) != 2 || len(res.Errors) != 1 || res.Errors[0].Pos.Line != 2005 ||
		res.Errors[0].Message != "document is 1.0 KiB, over the 300 B limit; refused" {
		t.Fatalf("%d objects, errors %v", len(res.Objects), res.Errors)
	}
}

func FuzzOversizedBatches(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s+"\n---\n"+s), uint16(64), uint16(100))
	}
	f.Fuzz(func(t *testing.T, data []byte, batch, limit uint16) {
		defer load.SetBatchBytes(int(batch%4096) + 64)()
		opts := fuzzOptions
		opts.MaxDocumentBytes = int(limit%2048) + 1
		// Documents of padding first, so that data is read in batches.
		pad := strings.Repeat("#"+strings.Repeat(" pad", 250)+"\n---\n", 20)
		sameRead(t, append([]byte(pad), data...), opts)
	})
}

// endless is a reader of n bytes of comment lines and no separator.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	line := "# a comment line of padding, sixty-four bytes long, repeated..\n"
	k := 0
	for k < len(p) && e.n > 0 {
		c := copy(p[k:min(len(p), k+e.n)], line[(k)%len(line):])
		k += c
		e.n -= c
	}
	return k, nil
}

// A stream that is one endless document is read past, not held: what the
// reader allocates stays near the document limit, far under the stream's
// size.
func TestEndlessDocumentNotHeld(t *testing.T) {
	const size = 256 << 20
	opts := load.Options{MaxDocumentBytes: 1 << 20, MaxFileBytes: 1 << 30}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := load.Reader("<stdin>", &endless{n: size}, opts)
	runtime.ReadMemStats(&after)
	if len(res.Errors) != 1 || res.Errors[0].Message != "document is 256.0 MiB, over the 1.0 MiB limit; refused" || res.Errors[0].Pos.Line != 1 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("reading a %d MiB document allocated %d MiB", size>>20, alloc>>20)
	}
}

// Options.Read follows a stream as it is read: totals that only grow, the
// last of them the stream's size.
func TestReadReportsProgress(t *testing.T) {
	defer load.SetBatchBytes(1024)()
	var data strings.Builder
	data.WriteString(strings.Repeat("# padding comment line\n", 400))
	for i := range 200 {
		fmt.Fprintf(&data, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n---\n", i)
	}
	var totals []int64
	opts := load.Options{Read: func(n int64) { totals = append(totals, n) }}
	res := load.Reader("-", strings.NewReader(data.String()), opts)
	if len(res.Objects) != 200 || len(res.Errors) > 0 {
		t.Fatalf("read %d objects, errors %v", len(res.Objects), res.Errors)
	}
	if len(totals) < 2 {
		t.Fatalf("Read called %d times for a stream of many batches", len(totals))
	}
	for i := 1; i < len(totals); i++ {
		if totals[i] <= totals[i-1] {
			t.Fatalf("totals go back: %v", totals)
		}
	}
	if last := totals[len(totals)-1]; last != int64(data.Len()) {
		t.Errorf("last total %d, want the stream's %d bytes", last, data.Len())
	}
}
