package cli

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	sigyaml "sigs.k8s.io/yaml"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// naive is a first draft, one object per file, as most people write it:
// instance targets, no preStop, no probe, a policy/v1beta1 budget and an
// unlabelled namespace. Everything it lacks has an automatic fix, and one fix
// (ip targets) makes others necessary.
var naive = map[string]string{
	"deployment.yaml": `# The web tier.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: example.com/web:1.4 # pinned
          ports:
            - containerPort: 8080
`,
	"service.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  selector:
    app: web
  ports:
    - port: 8080
      targetPort: 8080
`,
	"ingress.yaml": `# Public entry point.
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    alb.ingress.kubernetes.io/scheme: internet-facing
spec:
  ingressClassName: alb
  defaultBackend:
    service:
      name: web
      port:
        number: 8080
`,
	"namespace.yaml": `apiVersion: v1
kind: Namespace
metadata:
  name: shop
`,
	"pdb.yaml": `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
`,
}

// naiveStream is the naive files as one multi-document stream.
func naiveStream() string {
	names := make([]string, 0, len(naive))
	for n := range naive {
		names = append(names, n)
	}
	sort.Strings(names)
	var docs []string
	for _, n := range names {
		docs = append(docs, naive[n])
	}
	return strings.Join(docs, "---\n")
}

// snapshot returns relative path → content of every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFiles(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("%s: %s disappeared", what, name)
		case a != b:
			t.Errorf("%s: %s changed:\n%s", what, name, a)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s: %s was created", what, name)
		}
	}
}

// fixReport is the part of fix's JSON report the tests read.
type fixReport struct {
	Changes []struct {
		Rule   string `json:"rule"`
		Object struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"object"`
		File string `json:"file"`
		What string `json:"what"`
		Why  string `json:"why"`
	} `json:"changes"`
	Skipped []struct {
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
	} `json:"skipped"`
	Files []struct {
		Path    string `json:"path"`
		Created bool   `json:"created"`
		Written bool   `json:"written"`
		Error   string `json:"error"`
	} `json:"files"`
	Errors    []json.RawMessage `json:"errors"`
	Remaining []struct {
		Rule string `json:"rule"`
	} `json:"remaining"`
	Rounds int `json:"rounds"`
}

func parseFixJSON(t *testing.T, out string) fixReport {
	t.Helper()
	var r fixReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("fix -o json: %v\n%s", err, out)
	}
	return r
}

func TestFixDryRunPrintsDiffAndWritesNothing(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	before := snapshot(t, dir)
	code, out, errOut := run(t, "", "fix", "--dry-run", dir)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d (everything in the naive set is fixable)\n%s\n%s", code, ExitOK, out, errOut)
	}
	for _, want := range []string{
		"--- a/", "+++ b/", "@@ ",
		"+          lifecycle:",
		"+    alb.ingress.kubernetes.io/target-type: ip",
		"-apiVersion: policy/v1beta1",
		"+apiVersion: policy/v1",
		"would fix ZD003",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "(0 written)") {
		t.Errorf("dry run claims to have written files:\n%s", out)
	}
	sameFiles(t, "--dry-run", before, snapshot(t, dir))
}

func TestFixInPlaceThenCheckIsClean(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	if err := os.Chmod(filepath.Join(dir, "deployment.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "fix", dir)
	if code != ExitOK {
		t.Fatalf("fix: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "fixed ZD001") || !strings.Contains(out, "0 findings left") {
		t.Errorf("unexpected report:\n%s", out)
	}
	code, out, errOut = run(t, "", "check", dir)
	if code != ExitOK {
		t.Fatalf("check after fix: exit %d, want 0\n%s\n%s", code, out, errOut)
	}

	dep, err := os.ReadFile(filepath.Join(dir, "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# The web tier.", "# pinned", "preStop:", "seconds: 25", "readinessProbe:"} {
		if !strings.Contains(string(dep), want) {
			t.Errorf("fixed deployment lacks %q:\n%s", want, dep)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "deployment.yaml")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode not kept: %v %v", info.Mode(), err)
	}
	ing, _ := os.ReadFile(filepath.Join(dir, "ingress.yaml"))
	if !strings.HasPrefix(string(ing), "# Public entry point.\n") {
		t.Errorf("ingress lost its head comment:\n%s", ing)
	}
	// The service needed nothing and must be byte for byte as written.
	svc, _ := os.ReadFile(filepath.Join(dir, "service.yaml"))
	if string(svc) != naive["service.yaml"] {
		t.Errorf("unchanged file rewritten:\n%s", svc)
	}

	// A second run has nothing to do.
	fixed := snapshot(t, dir)
	code, out, errOut = run(t, "", "fix", dir)
	if code != ExitOK || strings.TrimSpace(out) != "nothing to fix" {
		t.Fatalf("second fix: exit %d, want nothing to fix\n%s\n%s", code, out, errOut)
	}
	sameFiles(t, "second fix", fixed, snapshot(t, dir))
}

func TestFixRounds(t *testing.T) {
	// Moving to ip targets raises the preStop the pod needs (10 s behind
	// instance targets, 25 s behind ip targets) and brings in the namespace
	// label and the deregistration delay: a second round.
	dir := testutil.WriteTree(t, naive)
	_, out, _ := run(t, "", "fix", "-o", "json", "--dry-run", dir)
	r := parseFixJSON(t, out)
	if r.Rounds < 2 {
		t.Errorf("rounds = %d, want at least 2", r.Rounds)
	}
	var prestops []string
	rules := map[string]bool{}
	for _, c := range r.Changes {
		rules[c.Rule] = true
		if c.Rule == "ZD003" {
			prestops = append(prestops, c.What)
		}
	}
	if len(prestops) != 2 || !strings.Contains(prestops[0], "10s") || !strings.Contains(prestops[1], "25s") {
		t.Errorf("want the preStop set to 10s and then raised to 25s, got %q", prestops)
	}
	for _, id := range []string{"ZD001", "ZD002", "ZD003", "ZD005", "ZD006", "ZD008", "ZD012"} {
		if !rules[id] {
			t.Errorf("no %s change: %v", id, rules)
		}
	}
}

func TestFixJSONOutput(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	code, out, errOut := run(t, "", "fix", "-o", "json", dir)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	r := parseFixJSON(t, out)
	if len(r.Changes) == 0 {
		t.Fatalf("no changes listed:\n%s", out)
	}
	for _, c := range r.Changes {
		if c.Rule == "" || c.Object.Kind == "" || c.Object.Name == "" || c.File == "" || c.What == "" || c.Why == "" {
			t.Errorf("incomplete change: %+v", c)
		}
	}
	if len(r.Files) != 4 {
		t.Errorf("want 4 changed files (all but the Service), got %+v", r.Files)
	}
	for _, f := range r.Files {
		if !f.Written || f.Error != "" {
			t.Errorf("file not written: %+v", f)
		}
	}
	if len(r.Remaining) != 0 || r.Errors == nil || len(r.Errors) != 0 {
		t.Errorf("remaining %v, errors %v", r.Remaining, r.Errors)
	}
}

func TestFixPatchMode(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	before := snapshot(t, dir)
	patches := filepath.Join(t.TempDir(), "zerodrop")
	code, out, errOut := run(t, "", "fix", "-o", "patch", "--patch-dir", patches, dir)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	sameFiles(t, "-o patch", before, snapshot(t, dir))

	written := snapshot(t, patches)
	frag, ok := written["kustomization-fragment.yaml"]
	if !ok {
		t.Fatalf("no kustomization-fragment.yaml in %v", keysOf(written))
	}
	var k struct {
		Patches []struct {
			Path   string         `json:"path"`
			Target map[string]any `json:"target"`
		} `json:"patches"`
		Resources []string `json:"resources"`
	}
	if err := sigyaml.Unmarshal([]byte(frag), &k); err != nil {
		t.Fatalf("fragment: %v\n%s", err, frag)
	}
	listed := map[string]bool{}
	for _, p := range k.Patches {
		listed[p.Path] = true
	}
	for _, r := range k.Resources {
		listed[r] = true
	}
	for p := range listed {
		if _, ok := written[p]; !ok {
			t.Errorf("fragment lists %s, which was not written", p)
		}
	}
	for _, want := range []string{
		"patch-deployment-shop-web.yaml",
		"patch-ingress-shop-web.yaml",
		"patch-namespace-shop.yaml",
		"version-poddisruptionbudget-shop-web.yaml",
	} {
		if !listed[want] {
			t.Errorf("fragment does not list %s:\n%s", want, frag)
		}
		if !strings.Contains(out, "wrote "+filepath.Join(patches, want)) {
			t.Errorf("report does not name %s:\n%s", want, out)
		}
	}
	if p := written["patch-deployment-shop-web.yaml"]; !strings.Contains(p, "preStop") || !strings.Contains(p, "readinessProbe") {
		t.Errorf("deployment patch lacks the fixes:\n%s", p)
	}
	if v := written["version-poddisruptionbudget-shop-web.yaml"]; !strings.Contains(v, "/apiVersion") || !strings.Contains(v, "policy/v1") {
		t.Errorf("apiVersion change is not a JSON patch:\n%s", v)
	}
}

func TestFixPatchModeWithKustomize(t *testing.T) {
	files := map[string]string{"base/kustomization.yaml": "resources: [deployment.yaml, service.yaml, ingress.yaml, namespace.yaml, pdb.yaml]\n"}
	for name, content := range naive {
		files["base/"+name] = content
	}
	dir := testutil.WriteTree(t, files)
	base := filepath.Join(dir, "base")
	before := snapshot(t, base)

	code, _, errOut := run(t, "", "fix", "-k", base)
	if code != ExitInput || !strings.Contains(errOut, "-o patch") {
		t.Fatalf("-k without -o patch: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := run(t, "", "fix", "-k", base, "--dry-run")
	if code != ExitOK || !strings.Contains(out, "would fix") {
		t.Fatalf("-k --dry-run: exit %d\n%s\n%s", code, out, errOut)
	}
	sameFiles(t, "-k", before, snapshot(t, base))

	// The overlay that uses the patches checks clean.
	overlay := filepath.Join(dir, "prod")
	code, out, errOut = run(t, "", "fix", "-k", base, "-o", "patch", "--patch-dir", filepath.Join(overlay, "zerodrop"))
	if code != ExitOK {
		t.Fatalf("-k -o patch: exit %d\n%s\n%s", code, out, errOut)
	}
	frag, err := os.ReadFile(filepath.Join(overlay, "zerodrop", "kustomization-fragment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k map[string]any
	if err := sigyaml.Unmarshal(frag, &k); err != nil {
		t.Fatal(err)
	}
	if ps, ok := k["patches"].([]any); ok {
		for _, p := range ps {
			m := p.(map[string]any)
			m["path"] = "zerodrop/" + m["path"].(string)
		}
	}
	if rs, ok := k["resources"].([]any); ok {
		for i, r := range rs {
			rs[i] = "zerodrop/" + r.(string)
		}
	}
	k["resources"] = append([]any{"../base"}, anySlice(k["resources"])...)
	b, err := sigyaml.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "", "check", "-k", overlay)
	if code != ExitOK {
		t.Fatalf("check of the patched overlay: exit %d\n%s\n%s\nkustomization:\n%s", code, out, errOut, b)
	}
	sameFiles(t, "-k -o patch (base)", before, snapshot(t, base))
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestFixUsageErrors(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	before := snapshot(t, dir)
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"patch without patch-dir", []string{"fix", "-o", "patch", dir}, "--patch-dir"},
		{"patch-dir without patch", []string{"fix", "--patch-dir", t.TempDir(), dir}, "-o patch"},
		{"unknown output", []string{"fix", "-o", "sarif", dir}, "--output"},
		{"unknown rule", []string{"fix", "--rules", "ZD999", dir}, "ZD999"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := run(t, "", c.args...)
			if code != ExitInput || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, want %d with %q in stderr\nstdout:\n%s\nstderr:\n%s", code, ExitInput, c.want, out, errOut)
			}
		})
	}
	sameFiles(t, "usage errors", before, snapshot(t, dir))
}

func TestFixRulesFilter(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	code, out, errOut := run(t, "", "fix", "-o", "json", "--rules", "ZD003", dir)
	if code != ExitFindings {
		t.Fatalf("exit %d, want %d (other rules' findings remain)\n%s\n%s", code, ExitFindings, out, errOut)
	}
	r := parseFixJSON(t, out)
	if len(r.Changes) == 0 {
		t.Fatal("no ZD003 change")
	}
	for _, c := range r.Changes {
		if c.Rule != "ZD003" {
			t.Errorf("--rules ZD003 applied %s: %s", c.Rule, c.What)
		}
	}
	after := snapshot(t, dir)
	for name, content := range naive {
		if name != "deployment.yaml" && after[name] != content {
			t.Errorf("--rules ZD003 changed %s:\n%s", name, after[name])
		}
	}
	dep := after["deployment.yaml"]
	if !strings.Contains(dep, "preStop") || strings.Contains(dep, "readinessProbe") || strings.Contains(dep, "topologySpreadConstraints") {
		t.Errorf("--rules ZD003 made other changes to the deployment:\n%s", dep)
	}

	// Names work as well as IDs.
	dir = testutil.WriteTree(t, naive)
	_, out, _ = run(t, "", "fix", "-o", "json", "--rules", "grace-period,pdb", dir)
	for _, c := range parseFixJSON(t, out).Changes {
		if c.Rule != "ZD004" && c.Rule != "ZD006" {
			t.Errorf("--rules grace-period,pdb applied %s", c.Rule)
		}
	}
}

func TestFixStdin(t *testing.T) {
	// New objects from stdin input join the output stream; run in a scratch
	// directory anyway, so that a regression cannot litter the source tree.
	wd, _ := os.Getwd()
	tmp := t.TempDir()
	if err := os.Chdir(tmp); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)

	code, out, errOut := run(t, naiveStream(), "fix", "-")
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out, "fixed ") || strings.Contains(out, "changes in") {
		t.Errorf("the report leaked into the fixed stream:\n%s", out)
	}
	if !strings.Contains(errOut, "fixed ZD003") || !strings.Contains(errOut, "changes in") {
		t.Errorf("no report on stderr:\n%s", errOut)
	}
	for _, want := range []string{"# The web tier.", "kind: Service", "preStop:", "target-type: ip", "apiVersion: policy/v1\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("fixed stream lacks %q:\n%s", want, out)
		}
	}
	// The fixed stream is clean.
	code, checkOut, _ := run(t, out, "check", "-")
	if code != ExitOK {
		t.Errorf("check of the fixed stream: exit %d\n%s", code, checkOut)
	}

	// JSON reports go to stderr too, and the stream stays on stdout.
	_, out, errOut = run(t, naiveStream(), "fix", "-o", "json", "-")
	if r := parseFixJSON(t, errOut); len(r.Changes) == 0 {
		t.Errorf("no changes in the JSON report on stderr:\n%s", errOut)
	}
	if !strings.Contains(out, "preStop:") {
		t.Errorf("no fixed stream on stdout with -o json:\n%s", out)
	}

	// A dry run prints the diff and the report on stdout, and no stream.
	_, out, _ = run(t, naiveStream(), "fix", "--dry-run", "-")
	if !strings.Contains(out, "--- a/<stdin>") || !strings.Contains(out, "would fix ZD003") {
		t.Errorf("stdin dry run:\n%s", out)
	}
}

func TestFixReadOnlyFileRefusedRestWritten(t *testing.T) {
	// The engine checks the permission bits itself, so this holds when the
	// tests run as root, who could otherwise write anyway.
	dir := testutil.WriteTree(t, naive)
	ro := filepath.Join(dir, "ingress.yaml")
	if err := os.Chmod(ro, 0o444); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "fix", dir)
	if code != ExitInput {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitInput, out, errOut)
	}
	if !strings.Contains(out+errOut, ro+" is read-only") {
		t.Errorf("no error naming %s:\n%s\n%s", ro, out, errOut)
	}
	after := snapshot(t, dir)
	if after["ingress.yaml"] != naive["ingress.yaml"] {
		t.Errorf("read-only file was rewritten:\n%s", after["ingress.yaml"])
	}
	if info, _ := os.Stat(ro); info.Mode().Perm() != 0o444 {
		t.Errorf("mode of the read-only file changed to %v", info.Mode())
	}
	if !strings.Contains(after["deployment.yaml"], "preStop:") || !strings.Contains(after["pdb.yaml"], "policy/v1\n") {
		t.Errorf("the other files were not written:\n%s\n%s", after["deployment.yaml"], after["pdb.yaml"])
	}
}

func TestFixSymlinkRefused(t *testing.T) {
	dir := testutil.WriteTree(t, naive)
	target := filepath.Join(t.TempDir(), "real-pdb.yaml")
	if err := os.Rename(filepath.Join(dir, "pdb.yaml"), target); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "pdb.yaml")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	code, out, errOut := run(t, "", "fix", dir)
	if code != ExitInput || !strings.Contains(out+errOut, link+" is a symlink") {
		t.Fatalf("exit %d, want %d and an error naming %s\n%s\n%s", code, ExitInput, link, out, errOut)
	}
	if b, _ := os.ReadFile(target); string(b) != naive["pdb.yaml"] {
		t.Errorf("fix wrote through the link:\n%s", b)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", info, err)
	}
}

func TestFixLeavesFileWithInputErrorUntouched(t *testing.T) {
	files := map[string]string{}
	for k, v := range naive {
		files[k] = v
	}
	broken := naive["deployment.yaml"] + "---\nkind: [broken\n"
	files["deployment.yaml"] = broken
	dir := testutil.WriteTree(t, files)
	code, out, errOut := run(t, "", "fix", dir)
	if code != ExitInput {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitInput, out, errOut)
	}
	if !strings.Contains(out, "left error ZD003") || !strings.Contains(out, "has input errors") || !strings.Contains(out, "input error:") {
		t.Errorf("report does not explain the skipped fixes:\n%s", out)
	}
	after := snapshot(t, dir)
	if after["deployment.yaml"] != broken {
		t.Errorf("file with an input error was rewritten:\n%s", after["deployment.yaml"])
	}
	if !strings.Contains(after["ingress.yaml"], "target-type: ip") {
		t.Errorf("the other files were not fixed:\n%s", after["ingress.yaml"])
	}
}

func TestFixJSONStaysJSON(t *testing.T) {
	dir := testutil.WriteTree(t, map[string]string{
		"deploy.json": `{"apiVersion": "apps/v1", "kind": "Deployment",
 "metadata": {"name": "api", "namespace": "default"},
 "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "api"}},
  "template": {"metadata": {"labels": {"app": "api"}},
   "spec": {"containers": [{"name": "api", "image": "example/api:1", "ports": [{"name": "web", "containerPort": 8080}]}]}}}}
`,
		"service.json": `{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "default"},
 "spec": {"selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": "web"}]}}
`,
	})
	code, out, errOut := run(t, "", "fix", "--rules", "ZD005", dir)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "deploy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("fixed JSON is not JSON: %v\n%s", err, b)
	}
	if !bytes.Contains(b, []byte(`"readinessProbe"`)) {
		t.Errorf("no readiness probe added:\n%s", b)
	}
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestFixDryRunDiffApplies feeds the dry-run diff to git apply: it must
// apply cleanly and give the same files as fixing in place.
func TestFixDryRunDiffApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not installed: cannot check that the diff applies")
	}
	dir := testutil.WriteTree(t, naive)
	_, out, _ := run(t, "", "fix", "--dry-run", dir)
	i := strings.Index(out, "--- ")
	j := strings.Index(out, "would fix")
	if i < 0 || j < i {
		t.Fatalf("no diff in:\n%s", out)
	}
	diff := out[i:j]
	patchFile := filepath.Join(t.TempDir(), "fix.patch")
	os.WriteFile(patchFile, []byte(diff), 0o644)
	// The diff names files by their absolute paths without the leading
	// slash, behind a/ and b/; apply it from the root.
	cmd := exec.Command(git, "apply", "--unsafe-paths", "--directory=/", "-p1", patchFile)
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES=/")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s\n%s", err, msg, diff)
	}
	applied := snapshot(t, dir)
	fixedDir := testutil.WriteTree(t, naive)
	run(t, "", "fix", fixedDir)
	fixed := snapshot(t, fixedDir)
	for name, content := range fixed {
		if applied[name] != content {
			t.Errorf("%s: the applied diff differs from fixing in place\n--- applied\n%s\n--- fixed\n%s", name, applied[name], content)
		}
	}
}
