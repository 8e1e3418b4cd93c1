package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// noGoPlugins is the build tag that leaves kustomize's Go-plugin loader, and
// with it Go's plugin package, out of the binary (docs/install.md says why).
const noGoPlugins = "kustomize_disable_go_plugin_support"

// TestBuildsLeaveOutGoPlugins holds the tag to what it is for: with it the
// zerodrop binary links no plugin package (a kustomize upgrade that renamed
// the tag would put it back silently), and every script, workflow and doc
// that builds or installs the binary passes it.
func TestBuildsLeaveOutGoPlugins(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	deps := func(tags ...string) map[string]bool {
		args := append([]string{"list", "-deps"}, tags...)
		out, err := exec.Command("go", append(args, ".")...).Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		m := map[string]bool{}
		for _, p := range strings.Fields(string(out)) {
			m[p] = true
		}
		return m
	}
	if !deps()["plugin"] {
		t.Log("the binary links no plugin package even without the tag: the tag may no longer be needed")
	}
	if deps("-tags", noGoPlugins)["plugin"] {
		t.Errorf("built with -tags %s, ./cmd/zerodrop still links Go's plugin package", noGoPlugins)
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// A line that builds or installs the binary: go build/install/run
	// naming ./cmd/zerodrop or the module path's cmd/zerodrop. goreleaser
	// builds from .goreleaser.yaml, read below.
	builds := regexp.MustCompile(`\bgo (build|install)\b.*cmd/zerodrop\b`)
	files := []string{".ci/run", "Dockerfile", "action.yml", "README.md"}
	for _, glob := range []string{"bench/*.sh", "tools/*/*.sh", "docs/*.md", "docs/commands/*.md"} {
		m, err := filepath.Glob(filepath.Join(root, glob))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, _ := filepath.Rel(root, f)
			files = append(files, rel)
		}
	}
	seen := 0
	for _, rel := range files {
		f, err := os.Open(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if !builds.MatchString(line) {
				continue
			}
			seen++
			if !strings.Contains(line, "-tags "+noGoPlugins) {
				t.Errorf("%s:%d builds zerodrop without -tags %s: %s", rel, n, noGoPlugins, strings.TrimSpace(line))
			}
		}
		f.Close()
	}
	if seen < 8 {
		t.Errorf("found %d lines that build zerodrop; the scan is looking in the wrong places", seen)
	}
	release, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s+tags:\s*\n\s+- ` + noGoPlugins + `\s*$`).Match(release) {
		t.Errorf(".goreleaser.yaml's build has no tags: [%s]", noGoPlugins)
	}
}
