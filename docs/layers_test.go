package docs

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/zerodrop/zerodrop"

// TestLayers holds the code to the package table of design.md: every package
// of the module has a line there, every line names a package, and a package
// imports only packages of a lower layer.
func TestLayers(t *testing.T) {
	layers := designLayers(t)
	imports := moduleImports(t)
	var missing []string
	for pkg := range imports {
		if _, ok := layers[pkg]; !ok {
			missing = append(missing, pkg)
		}
	}
	sort.Strings(missing)
	for _, pkg := range missing {
		t.Errorf("package %s has no line in the package table of docs/design.md: give it its layer and its one job", pkg)
	}
	for pkg := range layers {
		if _, ok := imports[pkg]; !ok {
			t.Errorf("docs/design.md lists package %s, which does not exist", pkg)
		}
	}
	for pkg, deps := range imports {
		from, ok := layers[pkg]
		if !ok {
			continue
		}
		for _, dep := range deps {
			to, ok := layers[dep]
			if ok && to >= from {
				t.Errorf("%s (layer %d) imports %s (layer %d): a package imports only lower layers (docs/design.md, Packages and layers)", pkg, from, dep, to)
			}
		}
	}
}

// designLayers reads the package table of design.md: "| `pkg/x` | 3 name | job |".
func designLayers(t *testing.T) map[string]int {
	data, err := os.ReadFile("design.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for i, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		pkg := strings.Trim(strings.TrimSpace(cells[1]), "`")
		num, _, _ := strings.Cut(strings.TrimSpace(cells[2]), " ")
		layer, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("design.md:%d: the layer of %s is not a number: %q", i+1, pkg, cells[2])
		}
		if _, dup := out[pkg]; dup {
			t.Errorf("design.md:%d: %s listed twice", i+1, pkg)
		}
		out[pkg] = layer
	}
	if len(out) == 0 {
		t.Fatal("design.md has no package table")
	}
	return out
}

// moduleImports lists every package of the module (test files aside, nested
// modules and testdata skipped) with the module's packages it imports, as
// paths relative to the module root.
func moduleImports(t *testing.T) map[string][]string {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module
			}
		}
		p, err := build.Default.ImportDir(path, 0)
		if err != nil {
			if _, ok := err.(*build.NoGoError); ok {
				return nil
			}
			return err
		}
		if len(p.GoFiles)+len(p.CgoFiles) == 0 {
			return nil // tests only: nothing imports it
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		var deps []string
		for _, imp := range p.Imports {
			if dep, ok := strings.CutPrefix(imp, module+"/"); ok {
				deps = append(deps, dep)
			}
		}
		out[rel] = deps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
