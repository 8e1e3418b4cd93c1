package check

import (
	"fmt"
	"path/filepath"

	"github.com/zerodrop/zerodrop/pkg/load"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// BuildKustomization builds a kustomization in-process and returns the name
// its objects are reported under and the built stream.
func BuildKustomization(dir string) (string, []byte, error) {
	name := "kustomize build " + filepath.Clean(dir)
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return name, nil, fmt.Errorf("kustomize build %s failed: %w", dir, err)
	}
	data, err := rm.AsYaml()
	if err != nil {
		return name, nil, fmt.Errorf("kustomize build %s output: %w", dir, err)
	}
	return name, data, nil
}

// appendKustomize builds a kustomization in-process, as `kubectl -k` does,
// and loads its output. Positions refer to lines of the built stream.
func appendKustomize(dir string, lo load.Options, objs []*load.Object, errs []load.InputError, files int) ([]*load.Object, []load.InputError, int) {
	name, data, err := BuildKustomization(dir)
	if err != nil {
		return objs, append(errs, load.InputError{Pos: load.Position{File: dir}, Message: err.Error()}), files
	}
	r := load.Bytes(name, data, lo)
	return append(objs, r.Objects...), append(errs, r.Errors...), files + r.Files
}
