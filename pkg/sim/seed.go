package sim

import (
	"embed"
	"io/fs"
	"path"
	"sort"

	"github.com/zerodrop/zerodrop/pkg/load"
)

// The built-in scenario is the write-up's echoserver: seed/naive and
// seed/recommended are copies of examples/seed (a test keeps them equal),
// and seed/nlb holds what changes behind an NLB.
//
//go:embed seed
var seedFS embed.FS

// Variant is one configuration of the built-in scenario.
type Variant struct {
	Name string
	// Files are the manifests, by name, in the order they are loaded.
	Files []File
}

// File is one embedded manifest.
type File struct {
	Name string
	Data []byte
}

// Load parses the variant's manifests as check would read them from disk.
func (v Variant) Load(opts load.Options) *load.Result {
	res := &load.Result{}
	for _, f := range v.Files {
		r := load.Bytes(f.Name, f.Data, opts)
		res.Objects = append(res.Objects, r.Objects...)
		res.Errors = append(res.Errors, r.Errors...)
		res.Files++
	}
	return res
}

// BuiltIn returns the four variants of the write-up's scenario: the naive
// and the recommended echoserver, each behind an ALB (the write-up's
// Ingress) and behind an NLB (the Ingress swapped for an NLB Service).
func BuiltIn() []Variant {
	dir := func(d string, skip ...string) []File {
		var out []File
		entries, _ := fs.ReadDir(seedFS, path.Join("seed", d))
		for _, e := range entries {
			if contains2(skip, e.Name()) {
				continue
			}
			data, _ := seedFS.ReadFile(path.Join("seed", d, e.Name()))
			out = append(out, File{Name: "builtin/" + d + "/" + e.Name(), Data: data})
		}
		return out
	}
	nlb := func(names ...string) []File {
		var out []File
		for _, n := range names {
			data, _ := seedFS.ReadFile(path.Join("seed/nlb", n))
			out = append(out, File{Name: "builtin/nlb/" + n, Data: data})
		}
		return out
	}
	vs := []Variant{
		{Name: "naive-alb", Files: dir("naive")},
		{Name: "recommended-alb", Files: dir("recommended")},
		{Name: "naive-nlb", Files: append(dir("naive", "ingress.yaml", "service.yaml"), nlb("naive-service.yaml")...)},
		{Name: "recommended-nlb", Files: append(dir("recommended", "ingress.yaml", "service.yaml", "deployment.yaml"),
			nlb("recommended-deployment.yaml", "recommended-service.yaml")...)},
	}
	for _, v := range vs {
		sort.SliceStable(v.Files, func(i, j int) bool { return v.Files[i].Name < v.Files[j].Name })
	}
	return vs
}

func contains2(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
