package fix

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// FuzzRun fixes arbitrary manifests in a dry run. Whatever the input, fix
// must not fail or panic, and a file it would rewrite must load again with
// no input errors and the same number of objects.
func FuzzRun(f *testing.F) {
	entries, _ := filepath.Glob("testdata/golden/*/in/*")
	for _, e := range entries {
		if b, err := os.ReadFile(e); err == nil && len(b) < 8192 {
			f.Add(string(b))
		}
	}
	f.Add("apiVersion: v1\nkind: Service\nmetadata: {name: a, annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external}}\nspec: {type: LoadBalancer, selector: {app: a}, ports: [{port: 80}]}\n")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 16384 {
			return
		}
		dir := t.TempDir()
		path := filepath.Join(dir, "in.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		before := load.Bytes(path, []byte(text), load.Options{})
		res, err := Run(context.Background(), Options{DryRun: true, Check: check.Options{Paths: []string{path}}})
		if err != nil {
			t.Fatalf("fix failed: %v\ninput:\n%s", err, text)
		}
		for _, fr := range res.Files {
			if fr.Path != path {
				continue
			}
			after := load.Bytes(path, fr.After, load.Options{})
			if len(before.Errors) == 0 && len(after.Errors) > 0 {
				t.Fatalf("the fixed file does not load: %v\ninput:\n%s\noutput:\n%s", after.Errors, text, fr.After)
			}
			if len(after.Objects) != len(before.Objects) {
				t.Fatalf("%d objects before, %d after\ninput:\n%s\noutput:\n%s", len(before.Objects), len(after.Objects), text, fr.After)
			}
		}
	})
}
