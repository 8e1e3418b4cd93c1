package fix

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kustomize"
	"github.com/zerodrop/zerodrop/pkg/yamledit"
	sigyaml "sigs.k8s.io/yaml"
)

// FragmentName is the kustomization fragment written beside the patches.
const FragmentName = "kustomization-fragment.yaml"

// writePatchDir writes one strategic-merge patch per changed object, the new
// objects as resources, and a kustomization fragment listing them, for users
// who cannot edit rendered output (Helm, generated manifests).
func (st *state) writePatchDir(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("patch directory: %w", err)
	}
	var written, patches, resources []string
	refs := make([]inventory.Ref, 0, len(st.patches))
	for r := range st.patches {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	var versionPatches []map[string]any
	for _, built := range refs {
		acc := st.patches[built]
		// A patch in a kustomization names the object as its sources do;
		// kustomize matches it before its own namePrefix, nameSuffix and
		// namespace apply.
		r := st.sourceRef(built)
		obj := map[string]any{}
		for k, v := range acc.body {
			obj[k] = v
		}
		// A strategic-merge patch cannot change apiVersion; a JSON patch
		// applied after it can.
		if v, ok := obj["apiVersion"].(string); ok && v != r.APIVersion {
			delete(obj, "apiVersion")
			name := fileName("version", r)
			op := []any{map[string]any{"op": "replace", "path": "/apiVersion", "value": v}}
			b, err := sigyaml.Marshal(op)
			if err != nil {
				return written, err
			}
			if err := writeAtomicNew(filepath.Join(dir, name), b); err != nil {
				return written, err
			}
			written = append(written, filepath.Join(dir, name))
			group, version, found := strings.Cut(r.APIVersion, "/")
			if !found {
				group, version = "", r.APIVersion
			}
			target := map[string]any{"group": group, "version": version, "kind": r.Kind, "name": r.Name}
			if r.Namespace != "" {
				target["namespace"] = r.Namespace
			}
			versionPatches = append(versionPatches, map[string]any{"path": name, "target": target})
		}
		if len(obj) == 0 {
			continue
		}
		md := map[string]any{"name": r.Name}
		if r.Namespace != "" {
			md["namespace"] = r.Namespace
		}
		if m, ok := obj["metadata"].(map[string]any); ok {
			for k, v := range m {
				md[k] = v
			}
		}
		obj["apiVersion"], obj["kind"], obj["metadata"] = r.APIVersion, r.Kind, md
		name := fileName("patch", r)
		if err := writeYAML(filepath.Join(dir, name), obj); err != nil {
			return written, err
		}
		written = append(written, filepath.Join(dir, name))
		patches = append(patches, name)
	}
	crefs := make([]inventory.Ref, 0, len(st.created))
	for r := range st.created {
		crefs = append(crefs, r)
	}
	sort.Slice(crefs, func(i, j int) bool { return crefs[i].String() < crefs[j].String() })
	for _, built := range crefs {
		r, obj := st.sourceCreated(built, st.created[built])
		name := fileName("new", r)
		if err := writeYAML(filepath.Join(dir, name), obj); err != nil {
			return written, err
		}
		written = append(written, filepath.Join(dir, name))
		resources = append(resources, name)
	}
	frag := map[string]any{}
	if len(resources) > 0 {
		frag["resources"] = resources
	}
	var pl []map[string]any
	for _, p := range patches {
		pl = append(pl, map[string]any{"path": p})
	}
	pl = append(pl, versionPatches...)
	if len(pl) > 0 {
		frag["patches"] = pl
	}
	b, err := sigyaml.Marshal(frag)
	if err != nil {
		return written, err
	}
	head := "# Written by zerodrop fix: add these entries to the kustomization that renders\n# the checked objects (paths are relative to this directory).\n"
	if err := writeAtomicNew(filepath.Join(dir, FragmentName), append([]byte(head), b...)); err != nil {
		return written, err
	}
	return append(written, filepath.Join(dir, FragmentName)), nil
}

func fileName(prefix string, r inventory.Ref) string {
	parts := []string{prefix, strings.ToLower(r.Kind)}
	if r.Namespace != "" {
		parts = append(parts, r.Namespace)
	}
	parts = append(parts, r.Name)
	return strings.Join(parts, "-") + ".yaml"
}

func writeYAML(path string, obj map[string]any) error {
	b, err := sigyaml.Marshal(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeAtomicNew(path, b)
}

// writer writes every file fix changes or creates, each replaced whole or
// left as it was; tests set its hook to interrupt a write.
var writer yamledit.Writer

// writeAtomicNew writes a file in the patch directory, replacing an older
// copy atomically.
func writeAtomicNew(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil {
		return writer.Replace(path, data, old)
	}
	return writer.Create(path, data)
}

// sourceRef is the object a built one comes from, as named in its source
// file (itself when it did not come from a kustomize build).
func (st *state) sourceRef(r inventory.Ref) inventory.Ref {
	if o, ok := st.origins[kustomize.ObjectKey{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}]; ok {
		r.Namespace, r.Name = o.Namespace, o.Name
	}
	return r
}

// sourceCreated names a new object so that the kustomization its resources
// are added to gives it the name and namespace fix made it with: the
// namePrefix and nameSuffix every object of the build got are taken off,
// and the namespace is the one the sources of its namespace's objects have.
func (st *state) sourceCreated(r inventory.Ref, obj map[string]any) (inventory.Ref, map[string]any) {
	if len(st.origins) == 0 || r.Kind == "Namespace" {
		return r, obj
	}
	type affix struct{ pre, suf string }
	affixes := map[affix]bool{}
	namespaces := map[string]bool{}
	for key, o := range st.origins {
		if key.Kind == "Namespace" {
			continue
		}
		if i := strings.Index(key.Name, o.Name); i >= 0 {
			affixes[affix{key.Name[:i], key.Name[i+len(o.Name):]}] = true
		}
		if key.Namespace == r.Namespace {
			namespaces[o.Namespace] = true
		}
	}
	out := r
	if len(affixes) == 1 {
		for a := range affixes {
			if strings.HasPrefix(r.Name, a.pre) && strings.HasSuffix(r.Name, a.suf) && len(r.Name) > len(a.pre)+len(a.suf) {
				out.Name = strings.TrimSuffix(strings.TrimPrefix(r.Name, a.pre), a.suf)
			}
		}
	}
	if len(namespaces) == 1 {
		for ns := range namespaces {
			out.Namespace = ns
		}
	}
	if out == r {
		return r, obj
	}
	cp := map[string]any{}
	for k, v := range obj {
		cp[k] = v
	}
	md := map[string]any{}
	if m, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range m {
			md[k] = v
		}
	}
	md["name"] = out.Name
	delete(md, "namespace")
	if out.Namespace != "" {
		md["namespace"] = out.Namespace
	}
	cp["metadata"] = md
	return out, cp
}
