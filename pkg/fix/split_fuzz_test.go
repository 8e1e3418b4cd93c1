package fix

import (
	"bytes"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
	yaml "go.yaml.in/yaml/v3"
)

// FuzzSplitAgrees: fix and the loader see the same documents at the same
// lines. Every document the loader parses is, byte for byte, a document fix
// holds, starting on the same line; every object and error the loader
// reports lies inside the lines of the document fix would edit for it; and
// fix's documents put together are the file's bytes.
func FuzzSplitAgrees(f *testing.F) {
	for _, s := range []string{
		"a: 1\n--- # c\nb: 2\n... # end\nc: 3\n",
		"--- {a: b}\n---\n\n--- !!map\nk: v\n...\n",
		"kind: A\r\n---\r\nkind: B\r\n",
		"kind: A\r---\rkind: B\r",
		"\xef\xbb\xbfkind: A\n---\nkind: B\n",
		"a: |\n  ---\n  x\n---\nb: 1",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(4))
	}
	f.Fuzz(func(t *testing.T, data []byte, storage uint8) {
		if len(data) > 1<<16 {
			return
		}
		if v := variants[int(storage)%len(variants)]; v.name != "utf8" {
			data = v.store(data)
		}
		fl := newFile("in.yaml", data)
		if fl.blocked != "" {
			return
		}
		if !bytes.Equal(fl.encoded(), data) {
			t.Fatalf("fix's documents do not put the file together again\n%q", data)
		}
		byLine := map[int]*doc{}
		for _, d := range fl.docs {
			byLine[d.firstLine] = d
		}
		parsed := 0
		opts := load.Options{Parsed: func(line int, text []byte, _ *yaml.Node) {
			parsed++
			if d := byLine[line]; d == nil || !bytes.Equal(d.body, text) {
				t.Errorf("the loader parsed a document at line %d that fix does not hold as such: %q", line, text)
			}
		}}
		r := load.Bytes("in.yaml", data, opts)
		inside := func(what string, line int) {
			d := fl.docAt(line)
			if d == nil || line >= d.firstLine+max(1, bytes.Count(d.body, []byte("\n"))+1) {
				t.Errorf("%s at line %d is in no document fix holds", what, line)
			}
		}
		for _, o := range r.Objects {
			inside(o.Kind+"/"+o.Name, o.Pos.Line)
		}
		for _, e := range r.Errors {
			if e.Pos.Line > 0 {
				inside("error "+e.Message, e.Pos.Line)
			}
		}
		if t.Failed() {
			t.Logf("input: %q", data)
		}
	})
}
