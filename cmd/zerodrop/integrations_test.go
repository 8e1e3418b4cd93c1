package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/internal/cli"
	"sigs.k8s.io/yaml"
)

// The test binary doubles as zerodrop: run with ZERODROP_TEST_MAIN=1 it is
// the command, so the hook's and the action's shell commands run a real
// process without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("ZERODROP_TEST_MAIN") == "1" {
		os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// binDir returns a directory holding "zerodrop" (this test binary) and
// "kubectl-zerodrop", for PATH.
func binDir(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"zerodrop", "kubectl-zerodrop"} {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func command(t *testing.T, bin string, name string, args ...string) *exec.Cmd {
	if _, err := os.Stat(filepath.Join(bin, name)); err == nil {
		name = filepath.Join(bin, name)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "ZERODROP_TEST_MAIN=1", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return cmd
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestPreCommitHook runs each hook's entry as pre-commit would: on the
// files of the examples that its files/exclude patterns select.
func TestPreCommitHook(t *testing.T) {
	data, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID            string `json:"id"`
		Entry         string `json:"entry"`
		Language      string `json:"language"`
		PassFilenames *bool  `json:"pass_filenames"`
	}
	if err := yaml.Unmarshal(data, &hooks); err != nil {
		t.Fatal(err)
	}
	bin := binDir(t)
	byID := map[string]int{}
	for i, h := range hooks {
		byID[h.ID] = i
		if h.Language != "golang" || !strings.HasPrefix(h.Entry, "zerodrop ") {
			t.Errorf("hook %s: language %s entry %q", h.ID, h.Language, h.Entry)
		}
	}
	entry := strings.Fields(hooks[byID["zerodrop-check"]].Entry)
	files := func(dir string) []string {
		m, _ := filepath.Glob(filepath.Join("..", "..", "examples", "seed", dir, "*.yaml"))
		if len(m) == 0 {
			t.Fatalf("no files in examples/seed/%s", dir)
		}
		for i := range m {
			m[i] = strings.TrimPrefix(filepath.ToSlash(m[i]), "../../")
		}
		return m
	}
	for dir, want := range map[string]int{"naive": 1, "recommended": 0} {
		out, err := command(t, bin, entry[0], append(entry[1:], files(dir)...)...).CombinedOutput()
		if got := exitCode(err); got != want {
			t.Errorf("zerodrop-check on examples/seed/%s: exit %d, want %d\n%s", dir, got, want, out)
		}
	}
	chart := strings.Fields(hooks[byID["zerodrop-check-chart"]].Entry)
	out, err := command(t, bin, chart[0], append(chart[1:], "examples/helm/echoserver")...).CombinedOutput()
	if got := exitCode(err); got != 1 || !strings.Contains(string(out), "templates/deployment.yaml") {
		t.Errorf("zerodrop-check-chart on examples/helm/echoserver: exit %d, want 1 with findings at the templates\n%s", got, out)
	}
}

// TestActionCheckStep runs the action's check step script with bash, as the
// runner would (inputs in the environment), on the examples.
func TestActionCheckStep(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Runs struct {
			Steps []struct {
				ID  string `json:"id"`
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"runs"`
	}
	if err := yaml.Unmarshal(data, &action); err != nil {
		t.Fatal(err)
	}
	script := ""
	for _, s := range action.Runs.Steps {
		if s.ID == "check" {
			script = s.Run
		}
	}
	if script == "" {
		t.Fatal("action.yml has no step with id check")
	}
	bin := binDir(t)
	for _, tc := range []struct {
		path, failOn string
		want         string
	}{
		{"examples/seed/naive", "warning", "1"},
		{"examples/seed/naive", "none", "0"},
		{"examples/seed/recommended", "warning", "0"},
		{"examples/helm/echoserver", "error", "1"},
	} {
		tmp := t.TempDir()
		sarif := filepath.Join(tmp, "out.sarif")
		cmd := command(t, bin, "bash", "-c", script)
		cmd.Env = append(cmd.Env, "ZD_PATH="+tc.path, "ZD_ARGS=", "ZD_FAIL_ON="+tc.failOn, "ZD_SARIF="+sarif,
			"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "RUNNER_TEMP="+tmp)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: check step failed: %v\n%s", tc.path, err, out)
		}
		gh, _ := os.ReadFile(filepath.Join(tmp, "output"))
		if strings.TrimSpace(string(gh)) != "exit-code="+tc.want {
			t.Errorf("%s --fail-on %s: output %q, want exit-code=%s", tc.path, tc.failOn, gh, tc.want)
		}
		s, _ := os.ReadFile(sarif)
		if !strings.Contains(string(s), `"version": "2.1.0"`) || tc.want == "1" && !strings.Contains(string(s), `"ruleId"`) {
			t.Errorf("%s: SARIF report:\n%.400s", tc.path, s)
		}
	}
}

// TestKubectlPlugin: installed as kubectl-zerodrop, the binary's help says
// kubectl zerodrop (kubectl runs plugins by their file name).
func TestKubectlPlugin(t *testing.T) {
	out, err := command(t, binDir(t), "kubectl-zerodrop", "check", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "kubectl zerodrop check [PATH...]") {
		t.Errorf("kubectl-zerodrop check --help: %v\n%s", err, out)
	}
}
