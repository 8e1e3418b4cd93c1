package fix

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigyaml "sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// copyTree copies a directory into a fresh temp dir and returns it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func runFix(t *testing.T, dir string, mod func(*Options)) *Result {
	t.Helper()
	opts := Options{Check: check.Options{Paths: []string{dir}, Load: load.Options{Recursive: true}}}
	if mod != nil {
		mod(&opts)
	}
	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func fixableLeft(res *check.Result) []finding.Finding {
	var out []finding.Finding
	for _, f := range res.Findings {
		if f.Fixable && !f.Suppressed && !f.Patch.Replaces {
			out = append(out, f)
		}
	}
	return out
}

// TestGolden fixes each case in testdata/golden/NAME/in and compares every
// resulting file with testdata/golden/NAME/want (-update rewrites them).
// Each case must then check free of fixable findings, and a second fix must
// change nothing.
func TestGolden(t *testing.T) {
	cases, _ := filepath.Glob("testdata/golden/*")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, c := range cases {
		t.Run(filepath.Base(c), func(t *testing.T) {
			dir := copyTree(t, filepath.Join(c, "in"))
			res := runFix(t, dir, nil)
			for _, fr := range res.Files {
				if fr.Error != "" {
					t.Errorf("write error: %s", fr.Error)
				}
			}
			got := testutil.ReadTree(t, dir)
			wantDir := filepath.Join(c, "want")
			if *update {
				os.RemoveAll(wantDir)
				for rel, content := range got {
					p := filepath.Join(wantDir, rel)
					os.MkdirAll(filepath.Dir(p), 0o755)
					if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := testutil.ReadTree(t, wantDir)
			if len(want) == 0 {
				t.Fatalf("no golden output in %s; run go test ./pkg/fix -run TestGolden -update and review it", wantDir)
			}
			for rel := range union(got, want) {
				if got[rel] != want[rel] {
					t.Errorf("%s differs from %s/%s\n--- want\n%s\n--- got\n%s", rel, wantDir, rel, want[rel], got[rel])
				}
			}
			after := check.Run(context.Background(), check.Options{Paths: []string{dir}, Load: load.Options{Recursive: true}})
			if len(after.Errors) > 0 {
				t.Errorf("fixed files do not parse: %+v", after.Errors)
			}
			if left := fixableLeft(after); len(left) > 0 {
				for _, f := range left {
					t.Errorf("fixable finding left after fix: %s %s %s", f.Rule, f.Object, f.Message)
				}
			}
			again := runFix(t, dir, nil)
			if len(again.Changes) != 0 || len(again.Files) != 0 {
				t.Errorf("second fix changed something: %+v", again.Changes)
			}
			if second := testutil.ReadTree(t, dir); !equalTrees(second, got) {
				t.Error("second fix is not byte-identical")
			}
		})
	}
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestCommentsAndOrderKept checks, beyond the golden bytes, that every
// comment line of the input survives and untouched documents stay byte for
// byte the same.
func TestCommentsAndOrderKept(t *testing.T) {
	src := "testdata/golden/ZD001_alb_instance_to_ip/in/manifest.yaml"
	before, _ := os.ReadFile(src)
	dir := copyTree(t, filepath.Dir(src))
	runFix(t, dir, nil)
	after, _ := os.ReadFile(filepath.Join(dir, "manifest.yaml"))
	for _, line := range strings.Split(string(before), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			comment := strings.TrimSpace(line[i:])
			if !strings.Contains(string(after), comment) {
				t.Errorf("comment lost: %q", comment)
			}
		}
	}
	// The Namespace and PDB documents need no change and keep their bytes.
	for _, doc := range []string{"kind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: storefront\n", "spec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n"} {
		if !bytes.Contains(after, []byte(doc)) {
			t.Errorf("untouched document changed; want it to keep %q", doc)
		}
	}
	// Keys keep their order: metadata before spec, name before namespace.
	if i, j := bytes.Index(after, []byte("  name: web\n  namespace: shop")), bytes.Index(after, []byte("spec:")); i < 0 || j < i {
		t.Error("key order changed")
	}
}

// TestRoundTripCheckCases fixes every case of check's golden suite: the
// result parses, has no fixable finding left, and a second fix is a no-op.
func TestRoundTripCheckCases(t *testing.T) {
	cases, _ := filepath.Glob("../check/testdata/rules/*.yaml")
	if len(cases) == 0 {
		t.Fatal("no check cases")
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".yaml")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			b, _ := os.ReadFile(c)
			if err := os.WriteFile(filepath.Join(dir, "case.yaml"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			roundTrip(t, dir, true)
		})
	}
}

// TestRoundTripCorpus does the same over the real-world corpus, all files
// together as users would fix a directory.
func TestRoundTripCorpus(t *testing.T) {
	const corpus = "../../../shared/corpus"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("no corpus at %s: skipping", corpus)
	}
	dir := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(corpus, "*.yaml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644)
	}
	roundTrip(t, dir, true)
}

func roundTrip(t *testing.T, dir string, allowReplace bool) {
	t.Helper()
	res := runFix(t, dir, func(o *Options) { o.AllowReplace = allowReplace })
	for _, fr := range res.Files {
		if fr.Error != "" {
			t.Errorf("write error: %s", fr.Error)
		}
	}
	after := check.Run(context.Background(), check.Options{Paths: []string{dir}, Load: load.Options{Recursive: true}})
	if len(after.Errors) > 0 {
		t.Fatalf("fixed files do not parse: %+v", after.Errors)
	}
	for _, f := range fixableLeft(after) {
		t.Errorf("fixable finding left: %s %s: %s", f.Rule, f.Object, f.Message)
	}
	first := testutil.ReadTree(t, dir)
	again := runFix(t, dir, func(o *Options) { o.AllowReplace = allowReplace })
	if len(again.Changes) > 0 {
		t.Errorf("second fix changed: %+v", again.Changes)
	}
	if !equalTrees(first, testutil.ReadTree(t, dir)) {
		t.Error("second fix is not byte-identical")
	}
}

// TestPatchModeMatchesInPlace applies the patches of -o patch with the
// kustomize API and compares the objects with in-place fixing.
func TestPatchModeMatchesInPlace(t *testing.T) {
	for _, c := range []string{"ZD001_alb_instance_to_ip", "ZD003_nlb_exec_sleep_and_grace", "ZD007_exec_and_recreate", "ZD006_blocking_and_missing_pdb", "ZD002_namespace_not_in_input"} {
		t.Run(c, func(t *testing.T) {
			in := filepath.Join("testdata/golden", c, "in")
			inPlace := copyTree(t, in)
			runFix(t, inPlace, nil)

			base := copyTree(t, in)
			patchDir := filepath.Join(base, "zerodrop-patches")
			res := runFix(t, base, func(o *Options) { o.PatchDir = patchDir })
			if len(res.Patches) == 0 {
				t.Fatal("no patches written")
			}
			// The sources are untouched in patch mode.
			if !equalTrees(testutil.ReadTree(t, in), withoutDir(testutil.ReadTree(t, base), "zerodrop-patches")) {
				t.Fatal("patch mode edited the sources")
			}
			// A kustomization over the sources plus the fragment's entries.
			var frag struct {
				Resources []string         `json:"resources"`
				Patches   []map[string]any `json:"patches"`
			}
			fb, _ := os.ReadFile(filepath.Join(patchDir, FragmentName))
			if err := sigyaml.Unmarshal(fb, &frag); err != nil {
				t.Fatal(err)
			}
			var resources []string
			for rel := range testutil.ReadTree(t, in) {
				resources = append(resources, rel)
			}
			sort.Strings(resources)
			for _, r := range frag.Resources {
				resources = append(resources, "zerodrop-patches/"+r)
			}
			var patches []map[string]any
			for _, p := range frag.Patches {
				p["path"] = "zerodrop-patches/" + p["path"].(string)
				patches = append(patches, p)
			}
			k, _ := sigyaml.Marshal(map[string]any{"resources": resources, "patches": patches})
			if err := os.WriteFile(filepath.Join(base, "kustomization.yaml"), k, 0o644); err != nil {
				t.Fatal(err)
			}
			rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), base)
			if err != nil {
				t.Fatalf("kustomize build with the patches: %v", err)
			}
			built, _ := rm.AsYaml()
			want := objectsOf(t, inPlace)
			got := objectsOfStream(t, built)
			for key, w := range want {
				if g, ok := got[key]; !ok {
					t.Errorf("%s missing from the kustomize build", key)
				} else if g != w {
					t.Errorf("%s differs:\n--- in place\n%s\n--- patched\n%s", key, w, g)
				}
			}
			if len(got) != len(want) {
				t.Errorf("kustomize built %d objects, in-place fixing has %d", len(got), len(want))
			}
		})
	}
}

func withoutDir(m map[string]string, dir string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(k, dir+string(filepath.Separator)) {
			out[k] = v
		}
	}
	return out
}

// objectsOf reads every object under dir, normalised to canonical YAML and
// keyed by kind/namespace/name.
func objectsOf(t *testing.T, dir string) map[string]string {
	var all []byte
	for _, content := range testutil.ReadTree(t, dir) {
		all = append(all, []byte("\n---\n"+content+"\n")...)
	}
	return objectsOfStream(t, all)
}

func objectsOfStream(t *testing.T, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	r := load.Bytes("x", data, load.Options{})
	if len(r.Errors) > 0 {
		t.Fatalf("parse: %+v", r.Errors)
	}
	for _, o := range r.Objects {
		ns := o.Namespace
		if ns == "" && o.Kind != "Namespace" {
			ns = "default"
			if md, ok := o.Raw["metadata"].(map[string]any); ok {
				md["namespace"] = ns
			}
		}
		b, _ := sigyaml.Marshal(o.Raw)
		out[o.Kind+"/"+ns+"/"+o.Name] = string(b)
	}
	return out
}

func TestAllowReplace(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD001_clb_needs_allow_replace/in")
	res := runFix(t, dir, nil)
	found := false
	for _, s := range res.Skipped {
		if s.Rule == "ZD001" && strings.Contains(s.Reason, "--allow-replace") {
			found = true
		}
	}
	if !found {
		t.Fatalf("ZD001 on a CLB was not held back: %+v", res.Skipped)
	}
	runFix(t, dir, func(o *Options) { o.AllowReplace = true })
	b, _ := os.ReadFile(filepath.Join(dir, "app.yaml"))
	for _, want := range []string{"aws-load-balancer-type: external", "aws-load-balancer-nlb-target-type: ip", "aws-load-balancer-scheme: internet-facing"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("with --allow-replace the Service lacks %q:\n%s", want, b)
		}
	}
}

func TestReadOnlyFileIsRefusedAndRestProceeds(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD006_blocking_and_missing_pdb/in")
	// A second file that is read-only.
	ro := filepath.Join(dir, "locked.yaml")
	b, _ := os.ReadFile("testdata/golden/ZD001_clb_needs_allow_replace/in/app.yaml")
	if err := os.WriteFile(ro, b, 0o444); err != nil {
		t.Fatal(err)
	}
	res := runFix(t, dir, nil)
	var roErr, otherWritten bool
	for _, fr := range res.Files {
		if fr.Path == ro && strings.Contains(fr.Error, "read-only") {
			roErr = true
		}
		if fr.Path != ro && fr.Written {
			otherWritten = true
		}
	}
	if !roErr || !otherWritten {
		t.Fatalf("want an error for the read-only file and the others written: %+v", res.Files)
	}
	if after, _ := os.ReadFile(ro); !bytes.Equal(after, b) {
		t.Error("read-only file changed")
	}
}

func TestSymlinkIsRefused(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(t.TempDir(), "real.yaml")
	b, _ := os.ReadFile("testdata/golden/ZD006_blocking_and_missing_pdb/in/manifest.yaml")
	os.WriteFile(real, b, 0o644)
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	res, err := Run(context.Background(), Options{Check: check.Options{Paths: []string{link}}})
	if err != nil {
		t.Fatal(err)
	}
	var refused bool
	for _, fr := range res.Files {
		if fr.Path == link && strings.Contains(fr.Error, "symlink") {
			refused = true
		}
	}
	if !refused {
		t.Fatalf("symlink not refused: %+v", res.Files)
	}
	if after, _ := os.ReadFile(real); !bytes.Equal(after, b) {
		t.Error("the symlink's target was changed")
	}
}

func TestBrokenDocumentFileIsNotWritten(t *testing.T) {
	dir := t.TempDir()
	good, _ := os.ReadFile("testdata/golden/ZD006_blocking_and_missing_pdb/in/manifest.yaml")
	broken := append(append([]byte{}, good...), []byte("---\nkind: [unclosed\n")...)
	os.WriteFile(filepath.Join(dir, "broken.yaml"), broken, 0o644)
	other, _ := os.ReadFile("testdata/golden/ZD001_clb_needs_allow_replace/in/app.yaml")
	os.WriteFile(filepath.Join(dir, "other.yaml"), other, 0o644)
	res := runFix(t, dir, nil)
	if len(res.Errors) == 0 {
		t.Fatal("the broken document was not reported")
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "broken.yaml")); !bytes.Equal(after, broken) {
		t.Error("a file with an input error was rewritten")
	}
	var skippedBroken bool
	for _, s := range res.Skipped {
		if strings.Contains(s.Reason, "input errors") {
			skippedBroken = true
		}
	}
	if !skippedBroken {
		t.Errorf("fixes in the broken file were not reported as skipped: %+v", res.Skipped)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "other.yaml")); bytes.Equal(after, other) {
		t.Error("the good file next to the broken one was not fixed")
	}
}

func TestInterruptedWriteLeavesNoPartialFile(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD007_exec_and_recreate/in")
	before := testutil.ReadTree(t, dir)
	writer.BeforeRename = func(string) error { return errors.New("simulated crash before rename") }
	defer func() { writer.BeforeRename = nil }()
	res := runFix(t, dir, nil)
	failed := false
	for _, fr := range res.Files {
		if strings.Contains(fr.Error, "simulated crash") {
			failed = true
		}
	}
	if !failed {
		t.Fatal("the interruption was not reported")
	}
	if after := testutil.ReadTree(t, dir); !equalTrees(before, after) {
		t.Errorf("an interrupted write changed the directory: %v", keys(after))
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD001_alb_instance_to_ip/in")
	before := testutil.ReadTree(t, dir)
	res := runFix(t, dir, func(o *Options) { o.DryRun = true })
	if len(res.Files) == 0 || len(res.Changes) == 0 {
		t.Fatal("dry run found nothing to change")
	}
	if !equalTrees(before, testutil.ReadTree(t, dir)) {
		t.Error("dry run wrote files")
	}
}

func TestRulesFilter(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD001_alb_instance_to_ip/in")
	res := runFix(t, dir, func(o *Options) { o.Rules = map[string]bool{"ZD001": true} })
	if len(res.Changes) != 1 || res.Changes[0].Rule != "ZD001" {
		t.Fatalf("want the one ZD001 change, got %+v", res.Changes)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.yaml"))
	if !strings.Contains(string(b), "deregistration_delay.timeout_seconds=300") {
		t.Errorf("--rules ZD001 also changed the deregistration delay:\n%s", b)
	}
}

func TestAttributesMergedNotReplaced(t *testing.T) {
	dir := copyTree(t, "testdata/golden/ZD001_alb_instance_to_ip/in")
	runFix(t, dir, nil)
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.yaml"))
	if !strings.Contains(string(b), "slow_start.duration_seconds=30,deregistration_delay.timeout_seconds=45\n") {
		t.Errorf("the other target-group attribute was not kept in place:\n%s", b)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fix never changes a value it does not own: a block scalar that keeps its
// trailing blank lines, next to where new keys go, still reads the same;
// and a container list reached through a YAML alias is left alone rather
// than replaced.
func TestValuesFixDoesNotOwnAreKept(t *testing.T) {
	dir := t.TempDir()
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: web
        ports: [{containerPort: 8080}]
        env:
        - name: MOTD
          value: >+
            hello


---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      initContainers: &shared
      - name: api
        image: api
        ports: [{containerPort: 9090}]
      containers: *shared
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external, service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: shop
  annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external, service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip}
spec:
  type: LoadBalancer
  selector: {app: api}
  ports: [{port: 80, targetPort: 9090}]
`
	path := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runFix(t, dir, nil)
	out, _ := os.ReadFile(path)
	lr := load.Bytes(path, out, load.Options{})
	if len(lr.Errors) > 0 || len(lr.Objects) != 4 {
		t.Fatalf("fixed file does not load: %v\n%s", lr.Errors, out)
	}
	web := lr.Objects[0].Raw
	env := web["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"].([]any)
	if got := env[0].(map[string]any)["value"]; got != "hello\n\n\n" {
		t.Errorf("MOTD changed from %q to %q:\n%s", "hello\n\n\n", got, out)
	}
	api := lr.Objects[1].Raw["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if cs := api["containers"].([]any); len(cs) != 1 || cs[0].(map[string]any)["image"] != "api" {
		t.Errorf("the api containers changed: %v", cs)
	}
	var reasons []string
	for _, s := range res.Skipped {
		reasons = append(reasons, s.Object.Name+": "+s.Reason)
	}
	if !strings.Contains(strings.Join(reasons, "\n"), "alias") {
		t.Errorf("no change to api was refused for its alias; skipped:\n%s", strings.Join(reasons, "\n"))
	}

	// In patch mode the file is not printed, so web's changes go into its
	// patch.
	if err := os.WriteFile(path, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	patches := filepath.Join(t.TempDir(), "patches")
	res = runFix(t, dir, func(o *Options) { o.PatchDir = patches })
	webFixed := 0
	for _, c := range res.Changes {
		if c.Object.Kind == "Deployment" && c.Object.Name == "web" {
			webFixed++
		}
	}
	if webFixed == 0 {
		t.Errorf("patch mode left web's changes out: skipped %v", res.Skipped)
	}
	b, err := os.ReadFile(filepath.Join(patches, "patch-deployment-shop-web.yaml"))
	if err != nil || !strings.Contains(string(b), "preStop") {
		t.Errorf("no preStop in web's patch (%v):\n%s", err, b)
	}
}

// The items of a kind: List (kubectl get -o yaml) are edited in place like
// documents, also when an item before them grows, and a second run changes
// nothing.
func TestListItemsAreFixed(t *testing.T) {
	dir := t.TempDir()
	list := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: a, namespace: shop}
  spec:
    replicas: 2
    selector: {matchLabels: {app: a}}
    template:
      metadata: {labels: {app: a}}
      spec:
        containers:
        - name: a
          image: a
          ports: [{containerPort: 8080}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: b, namespace: shop}
  spec:
    replicas: 2
    selector: {matchLabels: {app: b}}
    template:
      metadata: {labels: {app: b}}
      spec:
        containers:
        - name: b
          image: b
          ports: [{containerPort: 8080}]
- apiVersion: v1
  kind: Service
  metadata:
    name: a
    namespace: shop
    annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external, service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip}
  spec: {type: LoadBalancer, selector: {app: a}, ports: [{port: 80, targetPort: 8080}]}
- apiVersion: v1
  kind: Service
  metadata:
    name: b
    namespace: shop
    annotations: {service.beta.kubernetes.io/aws-load-balancer-type: external, service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip}
  spec: {type: LoadBalancer, selector: {app: b}, ports: [{port: 80, targetPort: 8080}]}
`
	path := filepath.Join(dir, "list.yaml")
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runFix(t, dir, nil)
	fixed := map[string]bool{}
	for _, c := range res.Changes {
		if c.File == path {
			fixed[c.Object.Kind+"/"+c.Object.Name] = true
		}
	}
	for _, want := range []string{"Deployment/a", "Deployment/b", "Service/a", "Service/b"} {
		if !fixed[want] {
			t.Errorf("%s in the List was not fixed; changes %v, skipped %v", want, fixed, res.Skipped)
		}
	}
	out, _ := os.ReadFile(path)
	lr := load.Bytes(path, out, load.Options{})
	if len(lr.Errors) > 0 || len(lr.Objects) != 4 {
		t.Fatalf("fixed List: %d objects, errors %v\n%s", len(lr.Objects), lr.Errors, out)
	}
	if !strings.HasPrefix(string(out), list[:strings.Index(list, "          ports")]) {
		t.Errorf("the List's first lines changed:\n%s", out)
	}
	again := runFix(t, dir, nil)
	if len(again.Changes) != 0 {
		t.Errorf("a second run changed %v", again.Changes)
	}
}
