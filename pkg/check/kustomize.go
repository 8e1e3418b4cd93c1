package check

import (
	"path/filepath"

	"github.com/zerodrop/zerodrop/pkg/load"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// appendKustomize builds a kustomization in-process, as `kubectl -k` does,
// and loads its output. Positions refer to lines of the built stream.
func appendKustomize(dir string, lo load.Options, objs []*load.Object, errs []load.InputError, files int) ([]*load.Object, []load.InputError, int) {
	name := "kustomize build " + filepath.Clean(dir)
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return objs, append(errs, load.InputError{Pos: load.Position{File: dir}, Message: "kustomize build failed: " + err.Error()}), files
	}
	data, err := rm.AsYaml()
	if err != nil {
		return objs, append(errs, load.InputError{Pos: load.Position{File: dir}, Message: "kustomize output: " + err.Error()}), files
	}
	r := load.Bytes(name, data, lo)
	return append(objs, r.Objects...), append(errs, r.Errors...), files + r.Files
}
