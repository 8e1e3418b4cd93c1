package fix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// writeApp writes the seed's Deployment, Service and Ingress (no
// PodDisruptionBudget, no Namespace) as dir/app.yaml.
func writeApp(t *testing.T, dir string) string {
	t.Helper()
	var text []byte
	for _, n := range []string{"deployment", "service", "ingress"} {
		b, err := os.ReadFile("../../examples/seed/naive/" + n + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, "---\n"...), b...)
	}
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSecondFixOfOneFileIsANoOp: fixing a single file creates a
// PodDisruptionBudget and a Namespace next to it; a second fix of the same
// file reads them where it wrote them (it once failed: "... exists") and
// has nothing to do.
func TestSecondFixOfOneFileIsANoOp(t *testing.T) {
	dir := t.TempDir()
	path := writeApp(t, dir)
	first := fixFile(t, path)
	created := 0
	for _, fr := range first.Files {
		if fr.Created && fr.Written {
			created++
		}
	}
	if created == 0 {
		t.Fatalf("the first fix created no file; the test proves nothing: %+v", first.Files)
	}
	before := testutil.ReadTree(t, dir)
	second := fixFile(t, path)
	if len(second.Changes) != 0 || len(second.Files) != 0 || len(second.Skipped) != 0 {
		t.Fatalf("second fix: %d changes, %d files, skipped %+v", len(second.Changes), len(second.Files), second.Skipped)
	}
	if len(second.Adopted) != created {
		t.Errorf("second fix read %v, want the %d files the first created", second.Adopted, created)
	}
	if !equalTrees(before, testutil.ReadTree(t, dir)) {
		t.Error("the second fix changed the directory")
	}
}

// TestCreatedPathHoldingSomethingElseIsAConflict: a file where fix would
// write a new object, holding some other object, is not taken for fix's
// and not overwritten.
func TestCreatedPathHoldingSomethingElseIsAConflict(t *testing.T) {
	dir := t.TempDir()
	path := writeApp(t, dir)
	other := []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated}\n")
	pdb := filepath.Join(dir, "echoserver-poddisruptionbudget.yaml")
	os.WriteFile(pdb, other, 0o644)
	res := fixFile(t, path)
	if len(res.Adopted) != 0 {
		t.Errorf("adopted %v", res.Adopted)
	}
	found := false
	for _, l := range res.Left {
		if l.Rule == "ZD006" && strings.Contains(l.Reason, "exists") {
			found = true
		}
	}
	if !found {
		t.Errorf("the conflict is not among the findings left: %+v", res.Left)
	}
	if got, _ := os.ReadFile(pdb); string(got) != string(other) {
		t.Error("the existing file was overwritten")
	}
}

// TestEveryFindingLeftSaysWhy: a TargetGroupBinding's target type lives in
// AWS; fix leaves the finding and says so, with the rule.
func TestEveryFindingLeftSaysWhy(t *testing.T) {
	res := runFix(t, "../check/testdata/rules/ZD001_targetgroupbinding_instance.yaml", func(o *Options) { o.DryRun = true })
	if len(res.Left) != len(res.Remaining) {
		t.Fatalf("%d findings left, %d explained", len(res.Remaining), len(res.Left))
	}
	found := false
	for i, l := range res.Left {
		if l.Reason == "" || l.Rule != res.Remaining[i].Rule {
			t.Errorf("finding left without its reason: %+v", l)
		}
		if l.Rule == "ZD001" && l.Object.Kind == "TargetGroupBinding" && strings.Contains(l.Reason, "no change in the manifests") {
			found = true
		}
	}
	if !found {
		t.Errorf("the TargetGroupBinding finding is not explained: %+v", res.Left)
	}
}
