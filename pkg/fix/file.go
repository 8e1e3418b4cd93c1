package fix

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// file is one manifest file held in memory while fixes are applied. Only
// the documents a fix touches are re-serialised; every other byte of the
// file stays as it was.
type file struct {
	path string
	docs []*doc
	// orig is the content as read; created is set for files fix makes.
	orig    []byte
	created bool
	json    bool
	// discovered: found by walking a directory.
	discovered bool
	// blocked says why the file must not be written (an input error in it).
	blocked string
}

// doc is one document: the separator line before it (kept byte for byte)
// and its body.
type doc struct {
	sep       []byte
	body      []byte
	firstLine int // line of the first body byte, 1-based
	node      *kyaml.RNode
	dirty     bool
}

// splitFile cuts content into documents at "---" lines, keeping every byte.
func splitFile(data []byte) []*doc {
	var docs []*doc
	cur := &doc{firstLine: 1}
	line := 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		l := data[i:next]
		if isSeparator(l) {
			if len(cur.sep) > 0 || len(cur.body) > 0 {
				docs = append(docs, cur)
			}
			cur = &doc{sep: l, firstLine: line + 1}
		} else {
			cur.body = append(cur.body, l...)
		}
		i = next
		line++
	}
	if len(cur.sep) > 0 || len(cur.body) > 0 {
		docs = append(docs, cur)
	}
	return docs
}

func isSeparator(l []byte) bool {
	t := bytes.TrimRight(l, "\r\n")
	if bytes.Equal(t, []byte("...")) {
		return true
	}
	if !bytes.HasPrefix(t, []byte("---")) {
		return false
	}
	rest := t[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}

func newFile(path string, data []byte) *file {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	return &file{path: path, orig: data, docs: splitFile(data),
		json: strings.HasSuffix(strings.ToLower(path), ".json") || (len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '['))}
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

// docAt returns the document holding a line.
func (f *file) docAt(line int) *doc {
	var found *doc
	for _, d := range f.docs {
		if d.firstLine <= line {
			found = d
		}
	}
	return found
}

// parse reads the document into a comment-preserving node tree.
func (d *doc) parse() (*kyaml.RNode, error) {
	if d.node != nil {
		return d.node, nil
	}
	r := kio.ByteReader{Reader: bytes.NewReader(d.body), PreserveSeqIndent: true}
	nodes, err := r.Read()
	if err != nil {
		return nil, err
	}
	if len(nodes) != 1 {
		return nil, fmt.Errorf("expected one object in the document, found %d", len(nodes))
	}
	d.node = nodes[0]
	return d.node, nil
}

// render re-serialises the document's node into its body.
func (d *doc) render(asJSON bool) error {
	var b bytes.Buffer
	w := kio.ByteWriter{Writer: &b}
	// The writer strips the reader's bookkeeping annotations; give it a copy
	// so the node keeps them for later rounds.
	if err := w.Write([]*kyaml.RNode{d.node.Copy()}); err != nil {
		return err
	}
	if !asJSON {
		d.body = b.Bytes()
		return nil
	}
	clean, err := kyaml.Parse(b.String())
	if err != nil {
		return err
	}
	j, err := jsonOf(clean)
	if err != nil {
		return err
	}
	d.body = j
	return nil
}

// identity matches a document's object to a finding's target.
func matches(n *kyaml.RNode, ref inventory.Ref) bool {
	m, err := n.GetMeta()
	if err != nil {
		return false
	}
	return m.Kind == ref.Kind && m.Name == ref.Name && (m.Namespace == "" || m.Namespace == ref.Namespace)
}
