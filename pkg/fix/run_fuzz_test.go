package fix

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/yamledit"
)

// FuzzRun fixes arbitrary manifests, stored in each encoding and line-end
// style fix supports, and checks what fix promises whatever the input:
//   - it does not fail or panic;
//   - a file it refuses (an error) is left byte for byte;
//   - a file it rewrites keeps its encoding and byte order mark, splits
//     into as many documents as before, every document it changed holds an
//     object a reported change names, every other document is byte for
//     byte as it was, and it still loads (no new input errors, as many
//     objects);
//   - a second fix of the result changes nothing.
func FuzzRun(f *testing.F) {
	entries, _ := filepath.Glob("testdata/golden/*/in/*")
	for _, e := range entries {
		if b, err := os.ReadFile(e); err == nil && len(b) < 8192 {
			f.Add(string(b), uint8(0))
			f.Add(string(b), uint8(4))
		}
	}
	f.Add("apiVersion: v1\nkind: Service\nmetadata: {name: a, annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external}}\nspec: {type: LoadBalancer, selector: {app: a}, ports: [{port: 80}]}\n", uint8(1))
	f.Fuzz(func(t *testing.T, text string, storage uint8) {
		if len(text) > 16384 {
			return
		}
		v := variants[int(storage)%len(variants)]
		raw := []byte(text)
		if v.name != "utf8" {
			raw = v.store(raw)
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "in.yaml")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		dry := func() *Result {
			res, err := Run(context.Background(), Options{DryRun: true, Check: check.Options{Paths: []string{path}}})
			if err != nil {
				t.Fatalf("fix failed: %v\ninput (%s): %q", err, v.name, raw)
			}
			return res
		}
		res := dry()
		var mine *FileResult
		for i, fr := range res.Files {
			if fr.Path == path {
				mine = &res.Files[i]
			}
		}
		if mine == nil || mine.Error != "" {
			return // nothing to write, or refused: the file is not written
		}
		text0, enc0, err := yamledit.Decode(raw)
		if err != nil {
			t.Fatalf("fix rewrote a file it cannot decode: %v\ninput: %q", err, raw)
		}
		text1, enc1, err := yamledit.Decode(mine.Data)
		if err != nil || enc1 != enc0 || !bytes.Equal(text1, mine.After) {
			t.Fatalf("the output is not stored as the input (%s, now %s, err %v)\ninput: %q\noutput: %q", enc0, enc1, err, raw, mine.Data)
		}
		if !bytes.Contains(text0, []byte("\r\n")) && bytes.Contains(text1, []byte("\r\n")) ||
			bytes.Count(text0, []byte("\n")) == bytes.Count(text0, []byte("\r\n")) && bytes.Count(text1, []byte("\n")) != bytes.Count(text1, []byte("\r\n")) {
			t.Fatalf("line ends changed\ninput: %q\noutput: %q", text0, text1)
		}
		before, after := load.Split(text0), load.Split(text1)
		if len(before) != len(after) {
			t.Fatalf("%d documents before, %d after\ninput: %q\noutput: %q", len(before), len(after), text0, text1)
		}
		for i := range before {
			if bytes.Equal(before[i].Sep, after[i].Sep) && bytes.Equal(before[i].Body, after[i].Body) {
				continue
			}
			if !changedByFix(res, path, before[i].Body) {
				t.Fatalf("document %d changed but no change names its object\ninput: %q\noutput: %q", i+1, before[i].Body, after[i].Body)
			}
		}
		lb, la := load.Bytes(path, text0, load.Options{}), load.Bytes(path, text1, load.Options{})
		if len(lb.Errors) == 0 && len(la.Errors) > 0 {
			t.Fatalf("the fixed file does not load: %v\ninput: %q\noutput: %q", la.Errors, text0, text1)
		}
		if len(la.Objects) != len(lb.Objects) {
			t.Fatalf("%d objects before, %d after\ninput: %q\noutput: %q", len(lb.Objects), len(la.Objects), text0, text1)
		}
		// Store the result as a fix would, and fix again.
		for _, fr := range res.Files {
			if err := os.WriteFile(fr.Path, fr.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		again := dry()
		if len(again.Changes) != 0 || len(again.Files) != 0 {
			names := []string{}
			for _, c := range again.Changes {
				names = append(names, c.Rule+" "+c.Object.String()+": "+c.What)
			}
			t.Fatalf("a second fix is not a no-op: %s\ninput (%s): %q\nfirst output: %q", strings.Join(names, "; "), v.name, raw, mine.Data)
		}
	})
}

// changedByFix tells whether a document read from path holds an object a
// change of the run names.
func changedByFix(res *Result, path string, body []byte) bool {
	for _, o := range load.Bytes(path, body, load.Options{}).Objects {
		for _, c := range res.Changes {
			if c.File == path && c.Object.Kind == o.Kind && c.Object.Name == o.Name {
				return true
			}
		}
	}
	return false
}
