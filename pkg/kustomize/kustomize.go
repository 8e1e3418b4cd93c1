// Package kustomize loads a kustomization, beside the loaders of files
// (load) and charts (helmchart): it builds it in process, as `kubectl
// kustomize` does, and reads the output with every object at the file and
// line it came from.
package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/load"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigyaml "sigs.k8s.io/yaml"
)

// ObjectKey names an object by kind, namespace and name.
type ObjectKey struct{ Kind, Namespace, Name string }

// Origin is where an object of a kustomize build comes from: the source
// file and line it was read from (relative to the working directory, as the
// kustomization directory was given), and its namespace and name there,
// before the kustomizations' namePrefix, nameSuffix and namespace changed
// them. Line is 0 when the object was generated (a ConfigMap generator),
// File is empty when it came from a remote base.
type Origin struct {
	File      string
	Line      int
	Namespace string
	Name      string
}

// Built is the output of a kustomize build.
type Built struct {
	// Name is what the stream is called where no source is known.
	Name string
	Data []byte
	// Origins maps each built object to where it came from.
	Origins map[ObjectKey]Origin
}

// Build builds a kustomization in-process, as `kubectl kustomize` does,
// and traces every object back to its source file through kustomize's
// origin annotations (buildMetadata: [originAnnotations], asked for here
// whatever the kustomization says and removed from the output again unless
// it asked for them itself).
func Build(dir string) (*Built, error) {
	b := &Built{Name: "kustomize build " + filepath.Clean(dir), Origins: map[ObjectKey]Origin{}}
	fs := &originFS{FileSystem: filesys.MakeFsOnDisk()}
	if abs, err := filepath.Abs(dir); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			fs.top = real
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		return b, fmt.Errorf("kustomize build %s failed: %w", dir, err)
	}
	sources := map[string]*load.Result{}
	for _, r := range rm.Resources() {
		o, err := r.GetOrigin()
		if err != nil || o == nil {
			continue
		}
		key := ObjectKey{Kind: r.GetKind(), Namespace: r.GetNamespace(), Name: r.GetName()}
		switch {
		case o.Repo != "":
			continue // a remote base: no local file to point at
		case o.ConfiguredIn != "":
			b.Origins[key] = Origin{File: filepath.Join(dir, o.ConfiguredIn), Namespace: key.Namespace, Name: key.Name}
		case o.Path != "":
			file := filepath.Join(dir, o.Path)
			src, ok := sources[file]
			if !ok {
				if data, err := os.ReadFile(file); err == nil {
					src = load.Bytes(file, data, load.Options{})
				}
				sources[file] = src
			}
			b.Origins[key] = sourceOf(file, src, key)
		}
	}
	if fs.injected {
		if err := rm.RemoveOriginAnnotations(); err != nil {
			return b, fmt.Errorf("kustomize build %s: %w", dir, err)
		}
	}
	b.Data, err = rm.AsYaml()
	if err != nil {
		return b, fmt.Errorf("kustomize build %s output: %w", dir, err)
	}
	return b, nil
}

// sourceOf finds a built object in its source file: the object of its kind
// whose name the built name is made of (namePrefix + name + nameSuffix; the
// longest such name, so that "web-api" wins over "web" for "prod-web-api").
func sourceOf(file string, src *load.Result, key ObjectKey) Origin {
	best := Origin{File: file, Namespace: key.Namespace, Name: key.Name}
	if src == nil {
		return best
	}
	var found *load.Object
	for _, o := range src.Objects {
		if o.Kind != key.Kind || !strings.Contains(key.Name, o.Name) {
			continue
		}
		switch {
		case found == nil, len(o.Name) > len(found.Name),
			len(o.Name) == len(found.Name) && o.Namespace == key.Namespace && found.Namespace != key.Namespace:
			found = o
		}
	}
	if found == nil {
		// Renamed beyond recognition (a Namespace takes the overlay's
		// namespace): the file's only object of the kind is it.
		for _, o := range src.Objects {
			if o.Kind == key.Kind {
				if found != nil {
					return best
				}
				found = o
			}
		}
	}
	if found != nil {
		best.Line, best.Namespace, best.Name = found.Pos.Line, found.Namespace, found.Name
	}
	return best
}

// originFS reads the kustomization at the top of a build with
// originAnnotations added to its buildMetadata; the bases inherit it.
type originFS struct {
	filesys.FileSystem
	top      string
	injected bool
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || f.top == "" || !slices.Contains(konfig.RecognizedKustomizationFileNames(), filepath.Base(path)) {
		return data, err
	}
	if real, err := filepath.EvalSymlinks(path); err != nil || filepath.Dir(real) != f.top {
		return data, nil
	}
	var k map[string]any
	if sigyaml.Unmarshal(data, &k) != nil || k == nil {
		return data, nil
	}
	meta, _ := k["buildMetadata"].([]any)
	for _, m := range meta {
		if m == types.OriginAnnotations {
			return data, nil
		}
	}
	k["buildMetadata"] = append(meta, types.OriginAnnotations)
	out, err := sigyaml.Marshal(k)
	if err != nil {
		return data, nil
	}
	f.injected = true
	return out, nil
}

// Load builds a kustomization and loads its output, each
// object at its source file and line (at the kustomization file when it has
// no local source).
func Load(dir string, lo load.Options) *load.Result {
	b, err := Build(dir)
	if err != nil {
		return &load.Result{Errors: []load.InputError{{Pos: load.Position{File: dir}, Message: err.Error()}}}
	}
	// An object with no local source (from a remote base) is reported at
	// the kustomization that was built.
	top := ""
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			top = filepath.Join(dir, n)
			break
		}
	}
	// Positions are set before Prepare, which may copy them.
	prepare := lo.Prepare
	lo.Prepare = func(o *load.Object) {
		if src, ok := b.Origins[ObjectKey{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}]; ok && src.File != "" {
			o.Pos = load.Position{File: src.File, Line: src.Line}
		} else if top != "" {
			o.Pos = load.Position{File: top}
		}
		if prepare != nil {
			prepare(o)
		}
	}
	return load.Bytes(b.Name, b.Data, lo)
}
