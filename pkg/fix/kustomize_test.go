package fix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/kustomize"
	"github.com/zerodrop/zerodrop/pkg/load"
	sigyaml "sigs.k8s.io/yaml"
)

// overlayTree writes the seed example as a base, and an overlay over it
// that renames and moves every object (namePrefix, nameSuffix, namespace).
func overlayTree(t *testing.T, leaveOut string) (base, overlay string) {
	t.Helper()
	dir := t.TempDir()
	base, overlay = filepath.Join(dir, "base"), filepath.Join(dir, "overlays", "prod")
	os.MkdirAll(base, 0o755)
	os.MkdirAll(overlay, 0o755)
	names, _ := filepath.Glob("../../examples/seed/naive/*.yaml")
	var res []string
	for _, n := range names {
		if filepath.Base(n) == leaveOut {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(base, filepath.Base(n)), b, 0o644)
		res = append(res, filepath.Base(n))
	}
	os.WriteFile(filepath.Join(base, "kustomization.yaml"), []byte("resources: ["+strings.Join(res, ", ")+"]\n"), 0o644)
	os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte("resources: [../../base]\nnamePrefix: prod-\nnameSuffix: -v2\nnamespace: shop\n"), 0o644)
	return base, overlay
}

// TestPatchesForAnOverlayApplyToItsBase: fix -k overlay -o patch writes
// patches that name the objects as the base does (kustomize matches them
// before the overlay renames them; named after the build, they matched
// nothing). Added to the overlay, they build, and the build checks clean.
func TestPatchesForAnOverlayApplyToItsBase(t *testing.T) {
	// Without its PodDisruptionBudget, the base needs a new object, named
	// so that the overlay gives it the name fix made it with.
	for _, leaveOut := range []string{"", "pdb.yaml"} {
		t.Run("without "+leaveOut, func(t *testing.T) { overlayPatches(t, leaveOut) })
	}
}

func overlayPatches(t *testing.T, leaveOut string) {
	base, overlay := overlayTree(t, leaveOut)
	before := testutil.ReadTree(t, base)
	built, err := kustomize.Build(overlay)
	if err != nil {
		t.Fatal(err)
	}
	nBefore := len(load.Bytes("built", built.Data, load.Options{}).Objects)
	patchDir := filepath.Join(overlay, "zerodrop")
	res := runFix(t, ".", func(o *Options) {
		o.Check.Paths = nil
		o.Check.Kustomizations = []string{overlay}
		o.PatchDir = patchDir
	})
	if len(res.Patches) == 0 || len(res.Changes) == 0 {
		t.Fatalf("no patches: %+v", res)
	}
	for _, p := range res.Patches {
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), "prod-") || strings.Contains(string(b), "-v2") || strings.Contains(string(b), "namespace: shop") {
			t.Errorf("%s names the built object, not the base's:\n%s", p, b)
		}
	}
	// The overlay with the fragment's entries.
	var frag struct {
		Resources []string         `json:"resources"`
		Patches   []map[string]any `json:"patches"`
	}
	fb, _ := os.ReadFile(filepath.Join(patchDir, FragmentName))
	if err := sigyaml.Unmarshal(fb, &frag); err != nil {
		t.Fatal(err)
	}
	k := map[string]any{"resources": []any{"../../base"}, "namePrefix": "prod-", "nameSuffix": "-v2", "namespace": "shop"}
	for _, r := range frag.Resources {
		k["resources"] = append(k["resources"].([]any), "zerodrop/"+r)
	}
	var patches []any
	for _, p := range frag.Patches {
		p["path"] = "zerodrop/" + p["path"].(string)
		patches = append(patches, p)
	}
	k["patches"] = patches
	kb, _ := sigyaml.Marshal(k)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), kb, 0o644); err != nil {
		t.Fatal(err)
	}
	lr := kustomize.Load(overlay, load.Options{})
	if len(lr.Errors) > 0 {
		t.Fatalf("the overlay with the patches does not build: %v\n%s", lr.Errors, kb)
	}
	if leaveOut != "" {
		// The new budget is named in the build as fix named it.
		found := false
		for _, o := range lr.Objects {
			if o.Kind == "PodDisruptionBudget" && o.Name == "prod-echoserver-v2" && o.Namespace == "shop" {
				found = true
			}
		}
		if !found {
			t.Errorf("the new PodDisruptionBudget is not prod-echoserver-v2 in shop in the build (fragment %v)", frag.Resources)
		}
	}
	if n := len(lr.Objects); n != nBefore+len(frag.Resources) {
		t.Errorf("the patched overlay builds %d objects, want %d + %d new", n, nBefore, len(frag.Resources))
	}
	after := check.Analyze(lr, check.Options{})
	if left := fixableLeft(after); len(left) > 0 {
		for _, f := range left {
			t.Errorf("left after the patches: %s %s: %s", f.Rule, f.Object, f.Message)
		}
	}
	if !equalTrees(before, testutil.ReadTree(t, base)) {
		t.Error("patch mode changed the base")
	}
}
