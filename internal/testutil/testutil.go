// Package testutil is zerodrop's one home for test setup that several
// packages need: file trees in a temporary directory, the write-up's
// example manifests, and free ports on 127.0.0.1. Tests import it instead of
// copying the same helpers, so a fix to one is made once.
package testutil

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"
)

// WriteTree writes files (slash-separated relative path → content) into a
// new temporary directory, creating folders as needed, and returns it.
func WriteTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// ReadTree returns every file under dir as slash-separated relative path →
// content; a missing dir gives an empty map.
func ReadTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	return out
}

// Examples is the absolute path of examples/ELEM... in this checkout, so a
// test finds the example manifests from any package.
func Examples(elem ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", "examples"}, elem...)...)
}

// SeedStream is the write-up's manifests of one variant (examples/seed/
// naive or recommended) as one YAML stream: the files in name order, each
// opened by "---".
func SeedStream(t testing.TB, variant string) []byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(Examples("seed", variant), "*.yaml"))
	if len(names) < 3 {
		t.Fatalf("examples/seed/%s is missing", variant)
	}
	sort.Strings(names)
	var b []byte
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		b = append(append(b, "---\n"...), data...)
	}
	return b
}

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
