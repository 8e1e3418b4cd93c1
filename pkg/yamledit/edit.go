// Package yamledit edits YAML (and JSON) manifest text in place. Its one
// job: write a merge patch into one document's bytes so that every byte
// the patch does not change stays as it was (comments, indentation, blank
// lines, quoting, key order, line ends), and store the text back in the
// encoding it was read in (UTF-8 or UTF-16, byte order mark, CR or CR LF).
//
// It knows nothing of findings: fix decides what to change and where, and
// hands this package a document and a patch. The one thing it does on disk
// is write the edited file back (Writer): atomically, and only if the file
// still holds what was read.
package yamledit

import (
	"bytes"
	"errors"

	yaml "go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Doc is one document being edited: its text, the tree parsed from that
// text with a patch merged into it (Merge), the list style the text used,
// and what the merge replaced or deleted.
type Doc struct {
	// Body is the document's text (no separator line).
	Body []byte
	// Tree is the parsed document (a DocumentNode holding one mapping)
	// after the merge.
	Tree *yaml.Node
	// SeqIndent is kyaml.DeriveSeqIndentStyle of the original text.
	SeqIndent string
	// Edits records what merging replaced or deleted; nil when unknown.
	Edits *Edits
}

// Parse reads a document's text into a Doc ready for Merge: the text must
// hold one mapping.
func Parse(body []byte) (*Doc, error) {
	n := &yaml.Node{}
	if err := yaml.Unmarshal(body, n); err != nil {
		return nil, err
	}
	return FromTree(body, n)
}

// FromTree is Parse with the tree already parsed from body.
func FromTree(body []byte, n *yaml.Node) (*Doc, error) {
	if n.Kind != yaml.DocumentNode || len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return nil, errNotObject
	}
	return &Doc{Body: body, Tree: n, SeqIndent: kyaml.DeriveSeqIndentStyle(string(body))}, nil
}

// Merge merges patch into the document's tree, recording what it replaced
// and deleted so that Render can write the change in place.
func (d *Doc) Merge(patch map[string]any) error {
	if d.Edits == nil {
		d.Edits = &Edits{}
	}
	return Merge(root(d.Tree), patch, d.Edits)
}

var errNotObject = errors.New("the document is not one object")

// Root is the mapping a Doc's tree holds.
func (d *Doc) Root() *yaml.Node { return root(d.Tree) }

func root(doc *yaml.Node) *yaml.Node { return doc.Content[0] }

// How says how Render wrote the change.
type How int

const (
	// Trusted: written in place, every edit in lines whose shape fixes its
	// extent, so the text holds the tree without parsing it again.
	Trusted How = iota + 1
	// Checked: written in place, parsed again and found to hold the tree.
	Checked
	// Whole: the change could not be written in place; the whole
	// document was printed again (and checked to read back as the tree).
	Whole
)

// Render returns the document's text with the merged tree's changes
// written in: in place where it can (splice.go, splice_json.go), else by
// printing the whole tree with the list style the document had. A whole
// print that would not read back as the tree is refused (ErrUnfaithful).
func Render(d *Doc, asJSON bool) ([]byte, How, error) {
	if asJSON {
		if out, ok := spliceJSON(d); ok {
			return out, Checked, nil
		}
		j, err := jsonOf(root(d.Tree))
		if err != nil {
			return nil, Whole, err
		}
		j = keepLineEnds(d.Body, j)
		if !holds(j, d.Tree) {
			return nil, Whole, ErrUnfaithful
		}
		return j, Whole, nil
	}
	if out, ok, sure := splice(d); ok {
		if sure {
			// Every edit is in lines whose shape fixes its extent: the
			// text holds the tree, and the tree's lines before the first
			// edit (where the object starts) are still right.
			return out, Trusted, nil
		}
		if holds(out, d.Tree) {
			return out, Checked, nil
		}
	}
	style := kyaml.CompactSequenceStyle
	if d.SeqIndent == string(kyaml.WideSequenceStyle) {
		style = kyaml.WideSequenceStyle
	}
	spellNulls(d.Tree)
	b, err := kyaml.MarshalWithOptions(d.Tree, &kyaml.EncoderOptions{SeqIndent: style})
	if err != nil {
		return nil, Whole, err
	}
	b = keepLineEnds(d.Body, b)
	if !holds(b, d.Tree) {
		return nil, Whole, ErrUnfaithful
	}
	return b, Whole, nil
}

// keepLineEnds gives a document printed whole the CR LF line ends of the
// text it replaces (the printer writes LF; it writes a CR in a value as an
// escape, so every LF it prints ends a line).
func keepLineEnds(old, printed []byte) []byte {
	if !bytes.Contains(old, []byte("\r\n")) {
		return printed
	}
	return bytes.ReplaceAll(printed, []byte("\n"), []byte("\r\n"))
}

// spellNulls writes empty nulls ("key:" with nothing after) as "null",
// which go-yaml's writer would otherwise print as an empty quoted string.
func spellNulls(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" {
		n.Value = "null"
	}
	for _, c := range n.Content {
		spellNulls(c)
	}
}

// ErrUnfaithful: printed whole, the document would not read back as the
// merged data (go-yaml's writer changes a block scalar that keeps its
// trailing blank lines, for one), so it is left as it was.
var ErrUnfaithful = errors.New("the YAML writer cannot print this document without changing other values in it (a block scalar keeping its trailing lines, say); make this change by hand")

// holds tells whether text parses as one document with the tree's data.
func holds(text []byte, tree *yaml.Node) bool {
	var n yaml.Node
	return yaml.Unmarshal(text, &n) == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 &&
		SameTree(root(&n), root(tree))
}

// LayoutOf is the layout of a document's root mapping (its indentation
// step and list style), with line end nl, for new objects written next to
// it.
func LayoutOf(r *yaml.Node, nl string) Layout {
	l := Layout{Unit: indentUnit(r), NL: nl}
	if off, ok := dashOffset(r); ok {
		l.Wide = off >= l.Unit
	}
	return l
}
