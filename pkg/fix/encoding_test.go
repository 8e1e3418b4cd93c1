package fix

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// variant is a way a file can be stored.
type variant struct {
	name  string
	store func(lf []byte) []byte
}

func toUTF16(order binary.ByteOrder) func([]byte) []byte {
	return func(text []byte) []byte {
		units := utf16.Encode(append([]rune{0xfeff}, []rune(string(text))...))
		out := make([]byte, 2*len(units))
		for i, u := range units {
			order.PutUint16(out[2*i:], u)
		}
		return out
	}
}

func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

var variants = []variant{
	{"utf8", func(b []byte) []byte { return b }},
	{"utf8-crlf", crlf},
	{"utf8-bom", func(b []byte) []byte { return append([]byte("\xef\xbb\xbf"), b...) }},
	{"utf8-bom-crlf", func(b []byte) []byte { return append([]byte("\xef\xbb\xbf"), crlf(b)...) }},
	{"utf16le", toUTF16(binary.LittleEndian)},
	{"utf16be", toUTF16(binary.BigEndian)},
	{"utf16le-crlf", func(b []byte) []byte { return toUTF16(binary.LittleEndian)(crlf(b)) }},
	{"utf16be-crlf", func(b []byte) []byte { return toUTF16(binary.BigEndian)(crlf(b)) }},
	{"cr", func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r")) }},
}

func fixFile(t *testing.T, path string) *Result {
	t.Helper()
	res, err := Run(context.Background(), Options{Check: check.Options{Paths: []string{path}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEncodingsAreKept fixes the same stream stored in every encoding and
// line-end style fix supports. Whatever the storage, the result is the
// UTF-8 result stored the same way: no document lost (a UTF-16 file once
// came back without its Service and Ingress), the byte order mark and line
// ends kept. A second fix then changes nothing.
func TestEncodingsAreKept(t *testing.T) {
	plain := testutil.SeedStream(t, "naive")
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.yaml")
	if err := os.WriteFile(ref, plain, 0o644); err != nil {
		t.Fatal(err)
	}
	res := fixFile(t, ref)
	if len(res.Changes) == 0 {
		t.Fatal("the seed stream needs no fix; the test proves nothing")
	}
	want, _ := os.ReadFile(ref)
	ndocs := len(load.Split(plain))
	if n := len(load.Split(want)); n != ndocs {
		t.Fatalf("UTF-8: %d documents before the fix, %d after", ndocs, n)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			path := filepath.Join(dir, v.name+".yaml")
			if err := os.WriteFile(path, v.store(plain), 0o644); err != nil {
				t.Fatal(err)
			}
			res := fixFile(t, path)
			for _, fr := range res.Files {
				if fr.Error != "" {
					t.Fatalf("%s", fr.Error)
				}
			}
			if len(res.Errors) > 0 {
				t.Fatalf("errors %v", res.Errors)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, v.store(want)) {
				t.Fatalf("the fixed file is not the UTF-8 result stored as %s:\n%q", v.name, got)
			}
			again := fixFile(t, path)
			if len(again.Changes) != 0 || len(again.Files) != 0 {
				t.Fatalf("a second fix changed %d files: %+v", len(again.Files), again.Changes)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, got) {
				t.Fatal("a second fix changed the file")
			}
		})
	}
}

// TestUndecodableFileIsLeftAlone: a UTF-16 file with an odd number of bytes
// cannot be read back as it was; fix refuses it and leaves every byte.
func TestUndecodableFileIsLeftAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "odd.yaml")
	data := append(toUTF16(binary.LittleEndian)(testutil.SeedStream(t, "naive")), 'x')
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := fixFile(t, path)
	if len(res.Errors) == 0 {
		t.Error("no input error for a UTF-16 file that does not decode")
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes in a file that cannot be written back: %+v", res.Changes)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Error("the file was changed")
	}
}

// TestEditedMeanwhileIsNotOverwritten: a file saved by someone else between
// fix reading it and renaming the result over it keeps their content, and
// the error names the file.
func TestEditedMeanwhileIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, testutil.SeedStream(t, "naive"), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := []byte("# saved by someone else\n")
	writer.BeforeRename = func(string) error { return os.WriteFile(path, theirs, 0o644) }
	defer func() { writer.BeforeRename = nil }()
	res := fixFile(t, path)
	refused := false
	for _, fr := range res.Files {
		if fr.Path == path && strings.Contains(fr.Error, path) && strings.Contains(fr.Error, "changed since fix read it") {
			refused = true
		}
	}
	if !refused {
		t.Fatalf("the lost update was not refused: %+v", res.Files)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, theirs) {
		t.Fatalf("the other writer's content was overwritten:\n%s", got)
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes reported for a file not written: %+v", res.Changes)
	}
}

// TestDocumentEndMarkerWithComment: "... # end" ends a document for the
// loader, and so for fix: the object after it is fixed like the one check
// reports (fix once skipped it, splitting only at a bare "...").
func TestDocumentEndMarkerWithComment(t *testing.T) {
	plain := testutil.SeedStream(t, "naive")
	text := bytes.ReplaceAll(plain, []byte("---\n"), []byte("... # end\n"))
	text = bytes.TrimPrefix(text, []byte("... # end\n"))
	dir := t.TempDir()
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	res := fixFile(t, path)
	if len(res.Skipped) != 0 {
		t.Fatalf("fixes skipped: %+v", res.Skipped)
	}
	if left := fixableLeft(check.Analyze(load.Paths(context.Background(), []string{path}, nil, load.Options{}), check.Options{})); len(left) != 0 {
		t.Fatalf("%d fixable findings left, first %s %s", len(left), left[0].Rule, left[0].Object)
	}
	got, _ := os.ReadFile(path)
	if a, b := len(load.Split(text)), len(load.Split(got)); a != b {
		t.Fatalf("%d documents before, %d after", a, b)
	}
}
