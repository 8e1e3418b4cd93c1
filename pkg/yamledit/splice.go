package yamledit

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/zerodrop/zerodrop/pkg/load"
	yaml "go.yaml.in/yaml/v3"
)

// Writing a change into the text where it belongs.
//
// A document a fix touches is merged as a node tree, but printing the whole
// tree again would restyle lines the fix never meant to touch: four-space
// indentation becomes two, blank lines go, the spaces before a comment
// shrink. So only what changed is printed: new keys are inserted after the
// last line of their mapping, new list items after the last item, a
// replaced value over the old value's text. Everything else stays byte for
// byte. Nodes parsed from the text carry their line and column; nodes a
// patch added carry none (line 0), which is how changes are found.
//
// When every edit touches only lines whose shape settles their extent
// (simpleLine), the result is used as it is. Otherwise it is parsed again
// and compared with the merged tree; when they differ, or a change is one
// this cannot place (a key after a complex one, a multi-line flow
// collection), the caller prints the whole document, and checks that too.

// Edits records what merging did that the tree alone does not show.
type Edits struct {
	// replaced maps a new value node to the value it replaced.
	replaced map[*yaml.Node]*yaml.Node
	// removed holds deleted keys.
	removed []*yaml.Node
}

func (e *Edits) replace(old, n *yaml.Node) {
	if e == nil {
		return
	}
	if e.replaced == nil {
		e.replaced = map[*yaml.Node]*yaml.Node{}
	}
	if prev, ok := e.replaced[old]; ok {
		// A value replaced twice: the text holds the first one.
		old = prev
	}
	e.replaced[n] = old
}

func (e *Edits) delete(k *yaml.Node) {
	if e != nil {
		e.removed = append(e.removed, k)
	}
}

// textEdit replaces body[start:end] with text.
type textEdit struct {
	start, end int
	text       []byte
}

// splicer holds one document's text and what it needs to place changes.
type splicer struct {
	body  []byte
	lines []int // byte offset of the start of each line; lines[0] is line 1
	nl    string
	unit  int // indentation step of the document
	wide  bool
	rec   *Edits
	out   []textEdit
	// unsure is set when an edit touches text whose extent this cannot be
	// certain of from line shapes alone; the result must then be parsed.
	unsure bool
	// unterminated: the text's last line had no line break (one was added).
	unterminated bool
}

// splice returns the document's text with the merged tree's changes
// written in place, or ok false when it cannot place one of them. sure
// reports that every edit touched only lines of the simple shapes whose
// extent is certain (see simpleLine); otherwise the caller must parse the
// result and compare it with the tree before using it.
func splice(d *Doc) (out []byte, ok, sure bool) {
	if d.Tree == nil || load.OddLineBreaks(d.Body) {
		return nil, false, false
	}
	s := newSplicer(d)
	r := root(d.Tree)
	s.unit = indentUnit(r)
	if off, ok := dashOffset(r); ok {
		// go-yaml's writer puts a list's dash at the key's column
		// (compact) or one step in (wide); with four-space steps,
		// compact puts it two columns in, as many write it.
		s.wide = off >= s.unit
	}
	if !s.walk(r) {
		return nil, false, false
	}
	if d.Edits != nil {
		for _, k := range d.Edits.removed {
			if !s.remove(k) {
				return nil, false, false
			}
		}
	}
	out, ok = s.apply()
	return out, ok, ok && !s.unsure
}

// newSplicer indexes a document's lines.
func newSplicer(d *Doc) *splicer {
	s := &splicer{body: d.Body, rec: d.Edits, nl: "\n", wide: d.SeqIndent == "wide"}
	if bytes.Contains(d.Body, []byte("\r\n")) {
		s.nl = "\r\n"
	}
	// A last line without a line break gets one while edits are placed,
	// and loses it again if nothing was written at the end.
	s.unterminated = len(s.body) > 0 && s.body[len(s.body)-1] != '\n'
	if s.unterminated {
		s.body = append(append([]byte(nil), s.body...), s.nl...)
	}
	s.lines = append(s.lines, 0)
	for i, c := range s.body {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// apply makes the text edits, or reports false when there are none or two
// overlap.
func (s *splicer) apply() ([]byte, bool) {
	if len(s.out) == 0 {
		return nil, false
	}
	sort.SliceStable(s.out, func(i, j int) bool { return s.out[i].start < s.out[j].start })
	// Apply from the end so earlier offsets stay valid; edits never overlap
	// (each is in a different place of the tree), but two insertions may
	// share an offset, and then they go in tree order.
	out := append([]byte(nil), s.body...)
	for i := len(s.out) - 1; i >= 0; i-- {
		e := s.out[i]
		if i > 0 && s.out[i-1].end > e.start {
			return nil, false
		}
		out = append(out[:e.start], append(append([]byte(nil), e.text...), out[e.end:]...)...)
	}
	if s.unterminated && s.out[len(s.out)-1].end < len(s.body) {
		out = out[:len(out)-len(s.nl)]
	}
	return out, true
}

// indentUnit is the indentation step the document uses: that of the first
// nested block mapping when it is 2 or 4, else 2.
func indentUnit(r *yaml.Node) int {
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, v := r.Content[i], r.Content[i+1]
		if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && v.Line > k.Line && v.Column > k.Column {
			// go-yaml's writer prints valid lists only with even steps;
			// two and four are what manifests use.
			if u := v.Column - k.Column; u == 2 || u == 4 {
				return u
			}
			return 2
		}
	}
	return 2
}

// dashOffset is how far right of its key the document writes the dash of
// a block list: that of the first one found, depth first.
func dashOffset(n *yaml.Node) (int, bool) {
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return 0, false
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 1 {
			k := n.Content[i-1]
			if c.Kind == yaml.SequenceNode && c.Style&yaml.FlowStyle == 0 && c.Line > k.Line && k.Line > 0 {
				return c.Column - k.Column, true
			}
		}
		if off, ok := dashOffset(c); ok {
			return off, true
		}
	}
	return 0, false
}

func isNew(n *yaml.Node) bool { return n.Line == 0 }

// walk finds the changes under an original node, in text order.
func (s *splicer) walk(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		if n.Style&yaml.FlowStyle != 0 {
			if changed(n) {
				return s.replaceFlow(n)
			}
			return true
		}
		added, last, ok := entries(n, s.replaceValue, s.walk)
		if !ok {
			return false
		}
		if len(added) > 0 {
			if last < 0 {
				return false
			}
			k := n.Content[last]
			s.vetKey(k)
			return s.insertAfter(k.Line, k.Column-1, true, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: added})
		}
	case yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			if changed(n) {
				return s.replaceFlow(n)
			}
			return true
		}
		added, last, ok := entries(n, nil, s.walk)
		if !ok {
			return false
		}
		if len(added) > 0 {
			if last < 0 {
				return false
			}
			s.vetDash(n)
			return s.insertAfter(n.Content[last].Line, n.Column-1, false, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: added})
		}
	case yaml.AliasNode, yaml.ScalarNode:
	default:
		return false
	}
	return true
}

// entries sorts the entries of a collection (key-value pairs of a
// mapping, items of a list) the way a splicer places them: new entries,
// which must all come after the old ones, are returned; an old key whose
// value is new goes to replace; other old values go to inner. last is the
// index of the last old entry, -1 when there is none.
func entries(n *yaml.Node, replace func(k, v *yaml.Node) bool, inner func(*yaml.Node) bool) (added []*yaml.Node, last int, ok bool) {
	step := 1
	if n.Kind == yaml.MappingNode {
		step = 2
	}
	last = -1
	for i := 0; i+step-1 < len(n.Content); i += step {
		k, v := n.Content[i], n.Content[i+step-1]
		switch {
		case isNew(k):
			added = append(added, n.Content[i:i+step]...)
		case len(added) > 0:
			return nil, 0, false // a new entry before an old one
		case isNew(v):
			last = i
			if replace == nil || !replace(k, v) {
				return nil, 0, false
			}
		default:
			last = i
			if !inner(v) {
				return nil, 0, false
			}
		}
	}
	return added, last, true
}

// changed tells whether a subtree holds a node a patch added.
func changed(n *yaml.Node) bool {
	if isNew(n) {
		return true
	}
	for _, c := range n.Content {
		if changed(c) {
			return true
		}
	}
	return false
}

// lineText is line l (1-based) without its line break.
func (s *splicer) lineText(l int) []byte {
	if l < 1 || l > len(s.lines) {
		return nil
	}
	end := len(s.body)
	if l < len(s.lines) {
		end = s.lines[l] // start of the next line
	}
	return bytes.TrimRight(s.body[s.lines[l-1]:end], "\r\n")
}

// lineEnd is the offset just past line l's line break (or the end).
func (s *splicer) lineEnd(l int) int {
	if l < len(s.lines) {
		return s.lines[l]
	}
	return len(s.body)
}

// offset turns a 1-based line and column (in characters) into a byte offset.
func (s *splicer) offset(line, col int) (int, bool) {
	if line < 1 || line > len(s.lines) {
		return 0, false
	}
	text := s.lineText(line)
	i := 0
	if line == 1 && bytes.HasPrefix(text, []byte("\ufeff")) {
		i = 3 // go-yaml does not count a byte order mark as a column
	}
	for c := 1; c < col; c++ {
		if i >= len(text) {
			return 0, false
		}
		_, size := utf8.DecodeRune(text[i:])
		i += size
	}
	return s.lines[line-1] + i, true
}

// indentOf counts a line's leading spaces; blank and comment-only lines
// report -1.
func indentOf(l []byte) int {
	t := bytes.TrimLeft(l, " ")
	if len(t) == 0 || t[0] == '#' {
		return -1
	}
	return len(l) - len(t)
}

// lastLineOf is the last line of the block that starts on line first with
// its key (or list dash) at column col (0-based): the last later line with
// content that is indented deeper, or at the same column when it is a
// list item of a compact list under the key. Comment lines after the last
// content stay where they are.
//
// The lines it reads, and the first line after the block, must all be of
// simple shapes for the answer to be certain; else the splice is unsure.
func (s *splicer) lastLineOf(first, col int, isKey bool) int {
	last := first
	s.vet(first)
	for l := first + 1; l <= len(s.lines); l++ {
		text := s.lineText(l)
		s.vet(l)
		ind := indentOf(text)
		if ind < 0 {
			continue
		}
		if bytes.HasPrefix(text, []byte("---")) || bytes.HasPrefix(text, []byte("...")) {
			break
		}
		if ind > col || (isKey && ind == col && isDash(text[ind:])) {
			last = l
			continue
		}
		if ind == col && keyEnd(text[ind:]) < 0 {
			// At the block's own column only a key may follow it: a
			// sibling, or the parent's next key after a compact list.
			s.unsure = true
		}
		break
	}
	return last
}

// vetKey marks the splice unsure unless key k is a plain key written where
// the tree says, after nothing but indentation and list dashes.
func (s *splicer) vetKey(k *yaml.Node) {
	off, ok := s.offset(k.Line, k.Column)
	if !ok || k.Kind != yaml.ScalarNode || k.Style != 0 || !onlyDashes(s.body[s.lines[k.Line-1]:off]) || keyEnd(bytes.TrimRight(s.body[off:s.lineEnd(k.Line)], "\r\n")) < 0 {
		s.unsure = true
	}
}

// vetDash marks the splice unsure unless a block list starts with a dash
// where the tree says.
func (s *splicer) vetDash(seq *yaml.Node) {
	off, ok := s.offset(seq.Line, seq.Column)
	if !ok || !onlyDashes(s.body[s.lines[seq.Line-1]:off]) || !isDash(bytes.TrimRight(s.body[off:s.lineEnd(seq.Line)], "\r\n")) {
		s.unsure = true
	}
}

// onlyDashes reports a line prefix of spaces and "- " list dashes.
func onlyDashes(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == ' ':
		case b[i] == '-' && i+1 < len(b) && b[i+1] == ' ':
		default:
			return false
		}
	}
	return true
}

// vet marks the splice unsure when line l is not of a simple shape.
func (s *splicer) vet(l int) {
	if !s.unsure && !simpleLine(s.lineText(l)) {
		s.unsure = true
	}
}

// simpleLine reports a line whose extent in the YAML structure its shape
// alone decides: blank, a comment, or list dashes and a key whose value is
// absent, a plain scalar, a quoted scalar closed on the line without
// escapes, or a flow collection without quotes closed on the line. Block
// scalars, anchors, aliases, tags, quoted keys and tabs are not simple:
// their text can run on over lines whose indentation says otherwise.
func simpleLine(l []byte) bool {
	t := bytes.TrimLeft(l, " ")
	if len(t) == 0 || t[0] == '#' {
		return true
	}
	if bytes.IndexByte(l, '\t') >= 0 {
		return false
	}
	for len(t) >= 2 && t[0] == '-' && t[1] == ' ' {
		t = bytes.TrimLeft(t[2:], " ")
	}
	if len(t) == 0 || (len(t) == 1 && t[0] == '-') {
		return true
	}
	if i := keyEnd(t); i >= 0 {
		t = bytes.TrimLeft(t[i+1:], " ")
		if len(t) == 0 || t[0] == '#' {
			return true
		}
	} else if bytes.Contains(t, []byte(": ")) || bytes.HasSuffix(t, []byte(":")) {
		return false // a key of other characters, or not a plain value
	}
	return simpleValue(t)
}

// keyEnd finds the colon after a plain key made of the characters
// Kubernetes keys use, or -1.
func keyEnd(t []byte) int {
	for i, c := range t {
		switch {
		case c == ':' && i > 0 && (i+1 == len(t) || t[i+1] == ' '):
			return i
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '/', c == '-':
		default:
			return -1
		}
	}
	return -1
}

func simpleValue(t []byte) bool {
	rest := func(r []byte) bool {
		r = bytes.TrimLeft(r, " ")
		return len(r) == 0 || r[0] == '#'
	}
	switch t[0] {
	case '"', '\'':
		j := bytes.IndexByte(t[1:], t[0])
		if j < 0 || bytes.IndexByte(t[1:1+j], '\\') >= 0 {
			return false
		}
		return rest(t[j+2:]) && (len(t) == j+2 || t[j+2] != t[0])
	case '{', '[':
		depth := 0
		for i := 0; i < len(t); i++ {
			switch c := t[i]; c {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return rest(t[i+1:])
				}
			case '"', '\'':
				// A quoted string inside, closed on the line, no escapes.
				j := bytes.IndexByte(t[i+1:], c)
				if j < 0 || bytes.IndexByte(t[i+1:i+1+j], '\\') >= 0 || (i+2+j < len(t) && t[i+2+j] == c) {
					return false
				}
				i += j + 1
			case '#', '&', '*', '!', '|', '>':
				return false
			}
		}
		return false
	case '|', '>', '&', '*', '!', '%', '@', '`', '?', ':', ',', ']', '}':
		return false
	}
	return true
}

func isDash(t []byte) bool {
	return len(t) > 0 && t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// insertAfter writes new entries (a mapping of new keys, or a list of new
// items) after the block that starts on line first at column col.
func (s *splicer) insertAfter(first, col int, isKey bool, n *yaml.Node) bool {
	text, ok := s.block(n, col)
	if !ok {
		return false
	}
	at := s.lineEnd(s.lastLineOf(first, col, isKey))
	s.out = append(s.out, textEdit{start: at, end: at, text: text})
	return true
}

// replaceValue writes a key's new value over its old one.
func (s *splicer) replaceValue(k, v *yaml.Node) bool {
	old := s.rec.original(v)
	if old == nil || isNew(old) || old.Anchor != "" {
		return false
	}
	// A scalar, or a flow list or map, written on the key's line: the new
	// value goes over the old text, when it prints on one line.
	if v.Kind == yaml.ScalarNode || v.Style&yaml.FlowStyle != 0 {
		if start, end, ok := s.extent(old); ok {
			if text, ok := s.inline(v); ok {
				s.vet(old.Line)
				if old.Kind == yaml.ScalarNode && !sameScalarText(s.body[start:end], old) {
					s.unsure = true // the value may go on over more lines
				}
				if start == end {
					// An empty value sits right after the colon.
					text = append([]byte(" "), text...)
				}
				s.out = append(s.out, textEdit{start: start, end: end, text: text})
				return true
			}
		}
	}
	// Otherwise the whole entry is written again, from its key on: the
	// lines of the old value go, comment lines after it stay.
	start, ok := s.offset(k.Line, k.Column)
	if !ok {
		return false
	}
	col := k.Column - 1
	s.vetKey(k)
	last := s.lastLineOf(k.Line, col, true)
	key := *k
	key.HeadComment, key.FootComment = "", ""
	val := *v
	val.HeadComment, val.FootComment = "", ""
	text, ok := s.block(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{&key, &val}}, col)
	if !ok {
		return false
	}
	text = text[col:] // the first line starts at the key, already indented
	end := s.lineEnd(last)
	s.out = append(s.out, textEdit{start: start, end: end, text: text})
	return true
}

// remove deletes the lines of a deleted key and its value. A key that
// shares its line with something else (a list dash) is not removed here.
func (s *splicer) remove(k *yaml.Node) bool {
	if isNew(k) {
		return true // added, then deleted: never in the text
	}
	start, ok := s.offset(k.Line, k.Column)
	if !ok || len(bytes.TrimLeft(s.body[s.lines[k.Line-1]:start], " ")) > 0 {
		return false
	}
	last := s.lastLineOf(k.Line, k.Column-1, true)
	s.out = append(s.out, textEdit{start: s.lines[k.Line-1], end: s.lineEnd(last)})
	s.unsure = true // rare; and the object's first line may move
	return true
}

// replaceFlow writes a changed flow collection over its old text (its
// position is that of the text; its content is the merged one).
func (s *splicer) replaceFlow(n *yaml.Node) bool {
	start, end, ok := s.extent(n)
	if !ok {
		return false
	}
	text, ok := s.inline(n)
	if !ok {
		return false
	}
	s.vet(n.Line)
	s.out = append(s.out, textEdit{start: start, end: end, text: text})
	return true
}

// sameScalarText tells whether a scalar's text on its line is its whole
// value (no continuation lines, no escapes to decode).
func sameScalarText(text []byte, n *yaml.Node) bool {
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		return len(text) >= 2 && bytes.IndexByte(text, '\\') < 0 && string(text[1:len(text)-1]) == n.Value
	case n.Style&yaml.SingleQuotedStyle != 0:
		return len(text) >= 2 && string(bytes.ReplaceAll(text[1:len(text)-1], []byte("''"), []byte("'"))) == n.Value
	case n.Style == 0 && len(text) == 0:
		return n.Tag == "!!null" && n.Value == ""
	case n.Style == 0:
		return string(text) == n.Value
	}
	return false
}

// original is the value a new node replaced, as found in the text.
func (e *Edits) original(n *yaml.Node) *yaml.Node {
	if e == nil {
		return nil
	}
	return e.replaced[n]
}

// extent finds the bytes of a value written on one line: a plain or quoted
// scalar, or a flow collection. It reports false for anything longer.
func (s *splicer) extent(n *yaml.Node) (int, int, bool) {
	start, ok := s.offset(n.Line, n.Column)
	if !ok {
		return 0, 0, false
	}
	lineEnd := s.lines[n.Line-1] + len(s.lineText(n.Line))
	rest := s.body[start:lineEnd]
	switch {
	case n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, false
	case n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start, start + i + 1, true
			}
		}
		return 0, 0, false
	case n.Kind == yaml.ScalarNode && n.Style&yaml.SingleQuotedStyle != 0:
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start, start + i + 1, true
			}
		}
		return 0, 0, false
	case n.Kind == yaml.ScalarNode:
		if n.Tag == "!!null" && n.Value == "" {
			return start, start, true // an empty value: nothing written
		}
		end := len(rest)
		if i := commentStart(rest); i >= 0 {
			end = i
		}
		for end > 0 && (rest[end-1] == ' ' || rest[end-1] == '\t') {
			end--
		}
		return start, start + end, end > 0
	case n.Style&yaml.FlowStyle != 0:
		depth := 0
		var quote byte
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			switch {
			case quote == '"' && c == '\\':
				i++
			case quote != 0 && c == quote:
				if quote == '\'' && i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				quote = 0
			case quote != 0:
			case c == '"' || c == '\'':
				quote = c
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return start, start + i + 1, true
				}
			case c == '#' && i > 0 && (rest[i-1] == ' ' || rest[i-1] == '\t'):
				return 0, 0, false
			}
		}
	}
	return 0, 0, false
}

// commentStart finds " #" in a plain scalar's line, where a comment begins.
func commentStart(b []byte) int {
	for i := 1; i < len(b); i++ {
		if b[i] == '#' && (b[i-1] == ' ' || b[i-1] == '\t') {
			return i - 1
		}
	}
	return -1
}

// inline prints a value on one line, without comments.
func (s *splicer) inline(n *yaml.Node) ([]byte, bool) {
	c := stripComments(n)
	b, err := encode(c, s.unit, s.wide)
	if err != nil {
		return nil, false
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	if bytes.IndexByte(b, '\n') >= 0 || len(b) == 0 {
		return nil, false
	}
	return b, true
}

// block prints a mapping or list as block lines indented to col.
func (s *splicer) block(n *yaml.Node, col int) ([]byte, bool) {
	b, err := encode(n, s.unit, s.wide)
	if err != nil {
		return nil, false
	}
	pad := strings.Repeat(" ", col)
	var out bytes.Buffer
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l == "" {
			continue
		}
		if l != "\n" {
			out.WriteString(pad)
		}
		out.WriteString(strings.TrimSuffix(l, "\n"))
		out.WriteString(s.nl)
	}
	return out.Bytes(), true
}

// stripComments copies a node tree without its comments, for printing
// inline. An empty null ("key:" with nothing after) is spelled "null":
// go-yaml's writer would print it as an empty quoted string.
func stripComments(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	if c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == "" {
		c.Value = "null"
	}
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			c.Content[i] = stripComments(e)
		}
	}
	return &c
}

// encode prints a node with the document's indentation and list style.
func encode(n *yaml.Node, unit int, wide bool) ([]byte, error) {
	var b bytes.Buffer
	e := yaml.NewEncoder(&b)
	e.SetIndent(unit)
	if !wide {
		e.CompactSeqIndent()
	}
	if err := e.Encode(n); err != nil {
		return nil, err
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SameTree tells whether two trees hold the same data, whatever their
// style, comments and positions.
func SameTree(a, b *yaml.Node) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case yaml.ScalarNode:
		if a.ShortTag() == "!!null" && b.ShortTag() == "!!null" {
			return true // "", "~" and "null" are the same null
		}
		return a.Value == b.Value && a.ShortTag() == b.ShortTag()
	case yaml.AliasNode:
		return a.Value == b.Value
	}
	if len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !SameTree(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}
