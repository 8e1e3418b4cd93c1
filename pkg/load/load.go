// Package load reads Kubernetes manifests (YAML or JSON, multi-document
// streams, kind: List) from files, directories and readers, and keeps the file
// and line every object came from.
//
// It is built to survive hostile input: each document is parsed on its own, so
// one broken document never hides the others; alias expansion (per stream),
// document size, file size and binary content are bounded and refused with a
// clear error. Files and stdin are read in batches of whole documents, so a
// large stream is never held whole.
//
// Asked to (Object.Type, often from Options.Prepare), it also decodes the
// kinds zerodrop models into their API structs, as the API server reads
// JSON (typed.go), and drops the untyped form.
package load

import (
	"fmt"
	yaml "go.yaml.in/yaml/v3"
	"strings"
)

// Position is where an object or an error starts in its source.
type Position struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

func (p Position) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Object is one Kubernetes object as read, untyped. Raw holds JSON-compatible
// values only (map[string]any, []any, string, int64, float64, bool, nil), so
// it can be converted to the typed API structs without a JSON round trip.
type Object struct {
	Pos        Position
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
	Raw        map[string]any
	// FromList is true when the object was an item of a kind: List.
	FromList bool
	// Discovered is true when the file was found by walking a directory
	// (not named by the user).
	Discovered bool
	// Typed is the object decoded into its API struct, once typed (Type);
	// nil before, and for kinds zerodrop does not model.
	Typed *Typed
	// Prepared is what an Options.Prepare hook made of the object for its
	// caller (the inventory's model of it, built as the stream is read);
	// the loader neither sets nor reads it.
	Prepared any
}

// Group returns the API group of the object ("" for the core group).
func (o *Object) Group() string {
	if i := strings.IndexByte(o.APIVersion, '/'); i >= 0 {
		return o.APIVersion[:i]
	}
	return ""
}

// InputError is a problem with the input: a document that does not parse, a
// file that cannot be read, a value of the wrong type. The rest of the input
// is still read.
type InputError struct {
	Pos     Position
	Message string
}

func (e InputError) Error() string { return e.Pos.String() + ": " + e.Message }

// Result is everything read from a set of sources.
type Result struct {
	Objects []*Object
	Errors  []InputError
	// Skipped counts documents in discovered files that are not Kubernetes
	// objects (no apiVersion and no kind), such as Helm values files.
	Skipped int
	// Files is the number of files read.
	Files int
}

// Options bound what the loader accepts.
type Options struct {
	// Recursive walks directories to any depth (kubectl's -R).
	Recursive bool
	// MaxDocumentBytes refuses larger single documents. 0 means the default.
	MaxDocumentBytes int
	// MaxFileBytes refuses larger files and streams. 0 means the default.
	MaxFileBytes int64
	// MaxAliasExpansion bounds the number of values produced by expanding
	// YAML aliases in one stream (a file, or stdin), all its documents
	// together. 0 means the default.
	MaxAliasExpansion int
	// Prepare, when set, is called on every object as soon as it is parsed,
	// on the loader's worker goroutines. It may type the object and drop
	// Raw, so that a large stream is never held in untyped form at once.
	Prepare func(*Object)
	// Parsed, when set, is called with the node tree of every document
	// that parsed cleanly as one YAML document whose lines go-yaml counts
	// as the file does: line is the file line of data's first byte and
	// data the document's bytes as parsed. Editors (zerodrop fix) take the
	// trees of the documents they will change instead of parsing them
	// again. It runs on the loader's worker goroutines; the loader does not
	// touch the tree afterwards. doc is nil for a document the loader read
	// without building a tree (fast.go reads plain block YAML so): an
	// editor that changes it parses data itself, and the trees of the
	// documents it leaves alone are never built.
	Parsed func(line int, data []byte, doc *yaml.Node)
	// Read, when set, is called as a stream is read in batches, with the
	// bytes read of it so far: a caller that sizes its memory by the input
	// (the CLI) learns the size of stdin as it comes. It runs on the
	// goroutine reading the stream; streams may be read side by side.
	Read func(total int64)
	// goyamlOnly reads every document through go-yaml's node tree, for
	// tests that compare the fast reader with it.
	goyamlOnly bool
}

// Defaults for Options.
const (
	DefaultMaxDocumentBytes  = 4 << 20
	DefaultMaxFileBytes      = 512 << 20
	DefaultMaxAliasExpansion = 200_000
)

func (o Options) withDefaults() Options {
	if o.MaxDocumentBytes <= 0 {
		o.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxAliasExpansion <= 0 {
		o.MaxAliasExpansion = DefaultMaxAliasExpansion
	}
	return o
}

func (r *Result) merge(o *Result) {
	r.Objects = append(r.Objects, o.Objects...)
	r.Errors = append(r.Errors, o.Errors...)
	r.Skipped += o.Skipped
	r.Files += o.Files
}

// FromAPI turns an object read from the Kubernetes API (a JSON-decoded map,
// as in unstructured.Unstructured) into a loaded object at file. It drops
// server-side bookkeeping (managedFields) and converts numbers to the
// loader's types, so the rest of the pipeline cannot tell it from a manifest.
// The map is used in place: callers pass maps they own.
func FromAPI(obj map[string]any, file string) *Object {
	md, _ := obj["metadata"].(map[string]any)
	if md != nil {
		delete(md, "managedFields")
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	return &Object{
		Pos:        Position{File: file},
		APIVersion: str(obj, "apiVersion"), Kind: str(obj, "kind"),
		Namespace: str(md, "namespace"), Name: str(md, "name"),
		Raw: normaliseAPI(obj).(map[string]any),
	}
}

// normaliseAPI converts numbers to int64 or float64.
func normaliseAPI(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normaliseAPI(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normaliseAPI(e)
		}
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
