package load

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// billionLaughs builds the classic alias bomb: levels anchors, each a list
// of width aliases of the previous one.
func billionLaughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n")
	b.WriteString("a0: &a0 [\"lol\"]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < width; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestAliasBomb(t *testing.T) {
	src := billionLaughs(9, 9) + `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fine
`
	res := parse(t, src)
	e := errorContaining(t, res.Errors, "alias", "refused")
	if e.Pos.File != "test.yaml" || e.Pos.Line < 1 || e.Pos.Line > 13 {
		t.Errorf("alias bomb reported at %v", e.Pos)
	}
	if got := names(res.Objects); len(got) != 1 || got[0] != "ConfigMap/fine@15" {
		t.Errorf("the document after the bomb was not read: %v", got)
	}
}

func TestAliasBudget(t *testing.T) {
	// 3 levels of 10 expand to about 3,500 values.
	src := billionLaughs(3, 10)
	if res := Bytes("small.yaml", []byte(src), Options{MaxAliasExpansion: 5000}); len(res.Errors) != 0 {
		t.Errorf("within the budget: %v", res.Errors)
	}
	res := Bytes("small.yaml", []byte(src), Options{MaxAliasExpansion: 500})
	errorContaining(t, res.Errors, "more than 500 values")
}

func TestAliasLoops(t *testing.T) {
	for name, src := range map[string]string{
		"sequence containing itself":   "data: &s [a, *s]\n",
		"mapping containing itself":    "data: &m {a: b, c: *m}\n",
		"merge of itself":              "data: &m\n  a: b\n  <<: *m\n",
		"merge list containing itself": "data: &s\n  <<: &l [*l]\n",
		"merge of a list of itself":    "x: &l [*l]\ndata:\n  <<: *l\n",
	} {
		t.Run(name, func(t *testing.T) {
			res := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"+src)
			if len(res.Objects) != 0 || len(res.Errors) != 1 {
				t.Fatalf("want one error, got %d objects and %v", len(res.Objects), res.Errors)
			}
			if e := res.Errors[0]; e.Pos.Line < 4 {
				t.Errorf("reported at %v, want inside the data", e.Pos)
			}
		})
	}
}

func TestMergeKeys(t *testing.T) {
	objs := mustObjects(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: merged
defaults: &defaults
  a: from-defaults
  b: from-defaults
  nested: {x: 1}
extra: &extra
  b: from-extra
  c: from-extra
data:
  <<: *defaults
  a: explicit
one:
  a: explicit-first
  <<: [*extra, *defaults]
inline:
  <<: {k: v}
  z: 26
`, 1)
	raw := objs[0].Raw
	want := map[string]any{"a": "explicit", "b": "from-defaults", "nested": map[string]any{"x": int64(1)}}
	if fmt.Sprint(raw["data"]) != fmt.Sprint(want) {
		t.Errorf("data = %v, want %v", raw["data"], want)
	}
	want = map[string]any{"a": "explicit-first", "b": "from-extra", "c": "from-extra", "nested": map[string]any{"x": int64(1)}}
	if fmt.Sprint(raw["one"]) != fmt.Sprint(want) {
		t.Errorf("one = %v, want %v", raw["one"], want)
	}
	want = map[string]any{"k": "v", "z": int64(26)}
	if fmt.Sprint(raw["inline"]) != fmt.Sprint(want) {
		t.Errorf("inline = %v, want %v", raw["inline"], want)
	}
	// The expansion is a copy: changing one use does not change another.
	raw["data"].(map[string]any)["nested"].(map[string]any)["x"] = "changed"
	if raw["defaults"].(map[string]any)["nested"].(map[string]any)["x"] != int64(1) {
		t.Errorf("aliases share their values")
	}
}

func TestBadMergeValues(t *testing.T) {
	for _, src := range []string{"<<: scalar", "<<: [a, b]", "<<: [[{a: b}]]"} {
		res := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  "+src+"\n")
		errorContaining(t, res.Errors, "merge key")
	}
}

func TestLargeDocumentWithoutAliases(t *testing.T) {
	// A CRD-sized document: more plain values than the alias budget, which
	// counts only what aliases produce.
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n")
	for i := 0; i < 30000; i++ {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	res := Bytes("big.yaml", []byte(b.String()), Options{MaxAliasExpansion: 1000})
	if len(res.Errors) != 0 || len(res.Objects) != 1 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if n := len(res.Objects[0].Raw["data"].(map[string]any)); n != 30000 {
		t.Errorf("%d keys read", n)
	}
}

func TestDeepNesting(t *testing.T) {
	tests := map[string]string{
		"flow sequences":  strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		"unclosed":        strings.Repeat("[", 20000),
		"flow mappings":   strings.Repeat("{a: ", 5000) + "b" + strings.Repeat("}", 5000),
		"block mappings":  deepBlock(300),
		"within document": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: " + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "\n",
	}
	for name, src := range tests {
		t.Run(name, func(t *testing.T) {
			res := parse(t, src)
			if len(res.Objects) != 0 {
				t.Errorf("deep nesting loaded")
			}
			if len(res.Errors) != 1 {
				t.Fatalf("want one error, got %v", res.Errors)
			}
			msg := res.Errors[0].Message
			if !strings.Contains(msg, "nesting") && !strings.Contains(msg, "depth") {
				t.Errorf("unclear message: %s", msg)
			}
		})
	}
	// Nesting a real manifest needs is fine.
	mustObjects(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: "+strings.Repeat("[", 100)+strings.Repeat("]", 100)+"\n", 1)
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", i))
		b.WriteString("k:\n")
	}
	return b.String()
}

func TestDocumentSizeLimit(t *testing.T) {
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  x: " + strings.Repeat("a", 2000) + "\n"
	src := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n---\n" + big + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n"
	res := Bytes("test.yaml", []byte(src), Options{MaxDocumentBytes: 1024})
	e := errorContaining(t, res.Errors, "over the 1.0 KiB limit")
	if e.Pos.Line != 6 {
		t.Errorf("reported at %v, want line 6", e.Pos)
	}
	if got := names(res.Objects); fmt.Sprint(got) != "[ConfigMap/small@1 ConfigMap/after@13]" {
		t.Errorf("objects: %v", got)
	}
}

func TestFileSizeLimit(t *testing.T) {
	src := []byte(strings.Repeat("# padding\n", 200) + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	res := Bytes("big.yaml", src, Options{MaxFileBytes: 1000})
	if len(res.Objects) != 0 {
		t.Errorf("an oversize stream was read")
	}
	errorContaining(t, res.Errors, "big.yaml", "over the", "limit")
	res = Reader("<stdin>", bytes.NewReader(src), Options{MaxFileBytes: 1000})
	errorContaining(t, res.Errors, "<stdin>", "over the", "limit")
	if res := Bytes("ok.yaml", src, Options{MaxFileBytes: int64(len(src))}); len(res.Errors) != 0 {
		t.Errorf("a stream exactly at the limit is refused: %v", res.Errors)
	}
}

func TestBinaryContent(t *testing.T) {
	tests := map[string][]byte{
		"NUL at the start":        append([]byte{0, 1, 2, 3}, "apiVersion: v1\n"...),
		"gzip":                    {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03},
		"NUL after a long header": append([]byte(strings.Repeat("# comment\n", 2000)), 0, 0),
		"ELF header":              append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...),
		"UTF-16 without a BOM":    []byte("a\x00p\x00i\x00V\x00"),
		"PNG":                     []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"NUL in a later document": []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nx: \x00\n"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			res := Bytes("blob.yaml", data, Options{})
			if len(res.Objects) != 0 && name != "NUL in a later document" {
				t.Errorf("binary content loaded")
			}
			errorContaining(t, res.Errors, "blob.yaml")
			if !strings.Contains(res.Errors[0].Message, "binary") && !strings.Contains(res.Errors[0].Message, "control character") {
				t.Errorf("unclear message: %s", res.Errors[0].Message)
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	good := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n"
	tests := []struct {
		name string
		src  string
		line int
	}{
		{"short stream", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\n", 4},
		{"latin-1 in a comment", good + "---\n# caf\xe9\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\n", 6},
		{"past the first block", good + "---\n" + strings.Repeat("# padding\n", 1000) + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\xc3\x28\"}\n", 1008},
		{"cut sequence at the end", good + "---\nx: \"\xe2\x82\"\n", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.src)
			e := errorContaining(t, res.Errors, "UTF-8")
			if e.Pos.Line != tt.line {
				t.Errorf("reported at %v, want line %d", e.Pos, tt.line)
			}
			for _, o := range res.Objects {
				if o.Name != "good" {
					t.Errorf("%s loaded", o.Name)
				}
			}
		})
	}
	// Valid multi-byte text is fine, also when it straddles the sniffed block.
	long := strings.Repeat("# ", 4095) + "é\n" + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: café}\n"
	if objs := mustObjects(t, long, 1); objs[0].Name != "café" {
		t.Errorf("name %q", objs[0].Name)
	}
}

func TestUTF16(t *testing.T) {
	// Windows PowerShell 5 writes UTF-16 with a byte order mark when output
	// is redirected: kubectl get -o yaml > out.yaml.
	text := "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: café\r\ndata:\r\n  emoji: \"\U0001F600\"\r\n---\r\n" + cm("second")
	units := utf16.Encode([]rune(text))
	le := []byte{0xff, 0xfe}
	be := []byte{0xfe, 0xff}
	for _, u := range units {
		le = binary.LittleEndian.AppendUint16(le, u)
		be = binary.BigEndian.AppendUint16(be, u)
	}
	for name, data := range map[string][]byte{"little-endian": le, "big-endian": be} {
		res := Reader("out.yaml", bytes.NewReader(data), Options{})
		if len(res.Errors) != 0 || len(res.Objects) != 2 {
			t.Fatalf("%s: %d objects, errors %v", name, len(res.Objects), res.Errors)
		}
		o := res.Objects[0]
		if o.Name != "café" || o.Raw["data"].(map[string]any)["emoji"] != "\U0001F600" || res.Objects[1].Pos.Line != 8 {
			t.Errorf("%s: read %q %v, second at %v", name, o.Name, o.Raw["data"], res.Objects[1].Pos)
		}
	}
	for name, data := range map[string][]byte{
		"odd length":     le[:len(le)-1],
		"lone surrogate": append(le[:len(le):len(le)], 0x00, 0xd8),
		"bad pair":       append(le[:len(le):len(le)], 0x00, 0xd8, 0x41, 0x00),
	} {
		res := Bytes("out.yaml", data, Options{})
		errorContaining(t, res.Errors, "out.yaml", "UTF-16")
		if len(res.Objects) != 0 {
			t.Errorf("%s: broken UTF-16 loaded", name)
		}
	}
}

func TestNeverPanics(t *testing.T) {
	// Inputs that have crashed YAML readers before; each must give errors or
	// objects, never a panic.
	for _, src := range []string{
		"", "\n", "---", "---\n---\n", "...", "\ufeff", "- - - -", "[", "{", "]", "}", "*a", "&a", "&a *a", "!!", "!<", "? ", ": ",
		"a: &a [*a]", "<<: *a", "<<: 1", "a: !!binary ====", "a: !!int x", "a: !!float x", "a: !!bool x", "a: !!timestamp x",
		"%YAML 1.1\n---\na: b", "%TAG ! tag:x,2000:\n---\n!foo a", "a: 99999999999999999999999999", "a: -0x8000000000000001",
		"apiVersion: v1\nkind: List\nitems: [1, [2], null, {}]", "apiVersion: v1\nkind: List\nitems: 5",
		"apiVersion: [v1]\nkind: {a: b}", "apiVersion: v1\nkind: Pod\nmetadata: [a]", "apiVersion: v1\nkind: Pod\nmetadata: {name: [a]}",
		"apiVersion: v1\nkind: Pod\nmetadata: {generateName: 5}",
	} {
		res := parse(t, src)
		for _, o := range res.Objects {
			if o.Raw == nil || o.Kind == "" || o.APIVersion == "" {
				t.Errorf("%q: incomplete object %+v", src, o)
			}
		}
	}
}
