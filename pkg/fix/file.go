package fix

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/yamledit"
	yaml "go.yaml.in/yaml/v3"
)

// file is one manifest file held in memory while fixes are applied. Only
// the documents a fix touches are re-serialised; every other byte of the
// file stays as it was.
type file struct {
	path string
	docs []*doc
	// ndocs is the number of documents read; fix only appends.
	ndocs int
	// raw is the file's bytes as read, orig its text (what the loader
	// reads: UTF-8, no byte order mark), enc how to store the text again.
	raw  []byte
	orig []byte
	enc  yamledit.Encoding
	// created is set for files fix makes.
	created bool
	json    bool
	// discovered: found by walking a directory.
	discovered bool
	// blocked says why the file must not be written (an input error in it).
	blocked string
	// layout caches style().
	layout *yamledit.Layout
	// indexed: every document knows its objects; fileErrors and skipped
	// are what the loader said of the whole file.
	indexed    bool
	fileErrors []load.InputError
	skipped    int
}

// doc is one document: the separator line before it (kept byte for byte)
// and its body.
type doc struct {
	sep  []byte
	body []byte
	// src is the body as read; edited is set once fix wrote a change
	// into the body.
	src       []byte
	edited    bool
	firstLine int // line of the first body byte, 1-based
	// node is the parsed document (a DocumentNode) once a fix touches it.
	node      *yaml.Node
	seqIndent string
	// blocked says why fix leaves this document alone.
	blocked string
	// keepTree: the text does not hold the tree (patch mode), so the tree
	// is kept rather than parsed again from the text.
	keepTree bool
	// edits records what merging replaced or deleted.
	edits *yamledit.Edits
	// parsed is the tree the loader made of the same bytes, kept until
	// the first round's edits are parsed so they need not parse again.
	parsed *yaml.Node
	dirty  bool

	// What the loader made of the document, computed at line base; stale
	// once the document changed and was re-rendered.
	objects []*load.Object
	errors  []load.InputError
	base    int
	known   bool
	stale   bool
}

// splitFile cuts text into documents with the loader's splitter, so that
// fix edits exactly the documents check reported, at the same lines.
func splitFile(text []byte) []*doc {
	chunks := load.Split(text)
	docs := make([]*doc, len(chunks))
	for i, c := range chunks {
		// Capped, so that appending to a body never writes over the next.
		body := c.Body[:len(c.Body):len(c.Body)]
		docs[i] = &doc{sep: c.Sep, body: body, src: body, firstLine: c.Line}
	}
	return docs
}

// newFile holds a file read from disk (or stdin) for fixing. A file whose
// bytes fix could not write back unchanged is held as it is and blocked.
func newFile(path string, data []byte) *file {
	f := &file{path: path, raw: data}
	text, enc, err := yamledit.Decode(data)
	if err != nil {
		text = data
		f.blocked = fmt.Sprintf("%s: %v; it is not rewritten", path, err)
	}
	f.orig, f.enc, f.docs, f.ndocs = text, enc, splitFile(text), 0
	f.ndocs = len(f.docs)
	trimmed := bytes.TrimSpace(text)
	f.json = strings.HasSuffix(strings.ToLower(path), ".json") || (len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['))
	return f
}

// encoded is the file's current text stored as the file was.
func (f *file) encoded() []byte { return f.enc.Encode(f.content()) }

// verify checks, before a file is written, what fix promises of it: its
// text splits into the documents fix holds (none merged or cut in two), the
// documents fix did not edit are byte for byte as read, no document is lost,
// and the bytes written read back as the text.
func (f *file) verify() error {
	text := f.content()
	chunks := load.Split(text)
	if len(chunks) != len(f.docs) || len(f.docs) < f.ndocs {
		return fmt.Errorf("%s: the fixed text would hold %d documents where fix holds %d (%d read); not rewritten", f.path, len(chunks), len(f.docs), f.ndocs)
	}
	for i, c := range chunks {
		d := f.docs[i]
		if !bytes.Equal(c.Sep, d.sep) || !bytes.Equal(c.Body, d.body) {
			return fmt.Errorf("%s: document %d (line %d) would not read back as fix wrote it; not rewritten", f.path, i+1, d.firstLine)
		}
		if i < f.ndocs && !d.edited && !bytes.Equal(d.body, d.src) {
			return fmt.Errorf("%s: document %d (line %d), which fix did not edit, would change; not rewritten", f.path, i+1, d.firstLine)
		}
	}
	if back, _, err := yamledit.Decode(f.enc.Encode(text)); err != nil || !bytes.Equal(back, text) {
		return fmt.Errorf("%s: the fixed text cannot be stored as %s; not rewritten", f.path, f.enc)
	}
	return nil
}

// content assembles the current bytes of the file.
func (f *file) content() []byte {
	var b bytes.Buffer
	for _, d := range f.docs {
		b.Write(d.sep)
		b.Write(d.body)
	}
	return b.Bytes()
}

// renumber recomputes where each document starts after bodies changed.
func (f *file) renumber() {
	line := 1
	for _, d := range f.docs {
		line += bytes.Count(d.sep, []byte("\n"))
		d.firstLine = line
		line += bytes.Count(d.body, []byte("\n"))
	}
}

// docAt returns the document holding a line: the last one starting at or
// before it (documents are in line order).
func (f *file) docAt(line int) *doc {
	i := sort.Search(len(f.docs), func(i int) bool { return f.docs[i].firstLine > line })
	if i == 0 {
		return nil
	}
	return f.docs[i-1]
}

// parse reads the document into a comment-preserving node tree and returns
// its root mapping.
func (d *doc) parse() (*yaml.Node, error) {
	if d.node != nil {
		return root(d.node), nil
	}
	n := d.parsed
	d.parsed = nil
	if n == nil {
		n = &yaml.Node{}
		if err := yaml.Unmarshal(d.body, n); err != nil {
			return nil, err
		}
	}
	ed, err := yamledit.FromTree(d.body, n)
	if err != nil {
		return nil, err
	}
	d.node, d.seqIndent = ed.Tree, ed.SeqIndent
	return ed.Root(), nil
}

func root(doc *yaml.Node) *yaml.Node { return doc.Content[0] }

// onUnverified, set by tests, sees each splice used without parsing it
// again, with the tree it must hold.
var onUnverified func(out []byte, merged *yaml.Node)

// onWholeRender, set by tests, sees each document printed whole because
// its changes could not be written in place.
var onWholeRender func(*doc)

// render writes the merged tree's changes into the document's body
// (yamledit.Render): in place where it can, else by printing the whole
// tree. A whole print that would not read back as the tree leaves the body
// as it was (yamledit.ErrUnfaithful).
func (d *doc) render(asJSON bool) (err error) {
	defer func() {
		d.edits = nil
		if err == nil {
			d.edited = true
		}
		// The items of a List move when one before them grows: the
		// objects are read again from a tree of the new text, so that
		// their lines are right for the next round.
		if err == nil && isList(root(d.node)) {
			var n yaml.Node
			if yaml.Unmarshal(d.body, &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
				d.node = &n
			}
		}
	}()
	out, how, err := yamledit.Render(&yamledit.Doc{Body: d.body, Tree: d.node, SeqIndent: d.seqIndent, Edits: d.edits}, asJSON)
	switch {
	case how == yamledit.Whole && onWholeRender != nil:
		onWholeRender(d)
	case how == yamledit.Trusted && onUnverified != nil:
		onUnverified(out, d.node)
	}
	if err != nil {
		return err
	}
	d.body = out
	return nil
}

// style is the layout of the file's first YAML document that reads as a
// mapping (two spaces, flush dashes and LF when there is none), for the
// new objects written next to it.
func (f *file) style() yamledit.Layout {
	if f.layout != nil {
		return *f.layout
	}
	nl := "\n"
	if bytes.Contains(f.orig, []byte("\r\n")) {
		nl = "\r\n"
	}
	l := yamledit.Layout{Unit: 2, NL: nl}
	for _, d := range f.docs {
		var n yaml.Node
		if f.json || yaml.Unmarshal(d.body, &n) != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
			continue
		}
		l = yamledit.LayoutOf(n.Content[0], nl)
		break
	}
	f.layout = &l
	return l
}

// isList tells whether a document is a List of objects (kubectl get's
// "kind: List", or a typed list such as DeploymentList).
func isList(n *yaml.Node) bool {
	items := yamledit.Child(n, "items")
	return strings.HasSuffix(yamledit.Scalar(yamledit.Child(n, "kind")), "List") && items != nil && items.Kind == yaml.SequenceNode
}

// listItem is the item of a List whose first key is on line (counted in
// the document).
func listItem(n *yaml.Node, line int) *yaml.Node {
	if !isList(n) {
		return nil
	}
	for _, it := range yamledit.Child(n, "items").Content {
		if it.Kind == yaml.MappingNode && len(it.Content) > 0 {
			first := it.Content[0].Line
			if it.Style&yaml.FlowStyle != 0 {
				first = it.Line
			}
			if first == line {
				return it
			}
		}
	}
	return nil
}

// matches tells whether a document's object is a finding's target.
func matches(n *yaml.Node, ref inventory.Ref) bool {
	md := yamledit.Child(n, "metadata")
	ns := yamledit.Scalar(yamledit.Child(md, "namespace"))
	return yamledit.Scalar(yamledit.Child(n, "kind")) == ref.Kind && yamledit.Scalar(yamledit.Child(md, "name")) == ref.Name && (ns == "" || ns == ref.Namespace)
}

// index reads the whole file once and hands each object and error to the
// document it starts in.
func (f *file) index(lo load.Options) {
	var mu sync.Mutex
	type tree struct {
		data []byte
		doc  *yaml.Node
	}
	trees := map[int]tree{}
	lo.Parsed = func(line int, data []byte, doc *yaml.Node) {
		mu.Lock()
		trees[line] = tree{data, doc}
		mu.Unlock()
	}
	r := load.Stream(f.path, f.content(), f.discovered, lo)
	for _, d := range f.docs {
		d.objects, d.errors, d.base, d.known, d.stale = nil, nil, d.firstLine, true, false
		// The loader's tree is this document's when it parsed these very
		// bytes (no byte order mark or line ending it rewrote first).
		if t, ok := trees[d.firstLine]; ok && d.node == nil && bytes.Equal(t.data, d.body) {
			d.parsed = t.doc
		}
	}
	f.fileErrors, f.skipped = nil, r.Skipped
	for _, o := range r.Objects {
		if d := f.docAt(o.Pos.Line); d != nil {
			d.objects = append(d.objects, o)
		}
	}
	for _, e := range r.Errors {
		if d := f.docAt(e.Pos.Line); d != nil && e.Pos.Line > 0 {
			d.errors = append(d.errors, e)
		} else {
			f.fileErrors = append(f.fileErrors, e)
		}
	}
	f.indexed = true
}

// load returns the file's objects and errors as the loader would read its
// current content, re-reading only documents that changed: from their edited
// node trees, without printing and parsing them again.
func (f *file) load(lo load.Options) *load.Result {
	if !f.indexed {
		f.index(lo)
	}
	out := &load.Result{Files: 1, Skipped: f.skipped}
	out.Errors = append(out.Errors, f.fileErrors...)
	for _, d := range f.docs {
		switch {
		case d.stale:
			r := load.NodeObjects(f.path, root(d.node), d.firstLine, f.discovered, lo)
			d.objects, d.errors, d.base, d.known, d.stale = r.Objects, r.Errors, d.firstLine, true, false
			// The tree is parsed again from the text if a later round
			// edits the document; most are not, and the trees of
			// thousands of documents are a heap the collector must walk.
			if !d.keepTree {
				d.node = nil
			}
		case !d.known:
			// A document added in memory (a new object in a stream).
			r := load.Stream(f.path, d.body, false, lo)
			d.objects, d.errors, d.base, d.known = nil, nil, d.firstLine, true
			for _, o := range r.Objects {
				d.objects = append(d.objects, inventory.Moved(o, d.firstLine-1))
			}
			for _, e := range r.Errors {
				e.Pos.Line += d.firstLine - 1
				d.errors = append(d.errors, e)
			}
		case d.base != d.firstLine:
			delta := d.firstLine - d.base
			for i, o := range d.objects {
				d.objects[i] = inventory.Moved(o, delta)
			}
			for i := range d.errors {
				d.errors[i].Pos.Line += delta
			}
			d.base = d.firstLine
		}
		out.Objects = append(out.Objects, d.objects...)
		out.Errors = append(out.Errors, d.errors...)
	}
	return out
}
