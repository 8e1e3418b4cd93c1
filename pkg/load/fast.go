package load

import (
	"bytes"
	"strings"

	"github.com/zerodrop/zerodrop/internal/intern"
	yaml "go.yaml.in/yaml/v3"
)

// The fast reader: most manifests (chart output, generated streams,
// kubectl's YAML) use a small part of YAML: block mappings and sequences,
// one-line plain and quoted scalars, one-line flow sequences of scalars,
// comments. fastDocument reads exactly that part about five times faster
// than building go-yaml's node tree and converting it, and gives up (ok
// false) on anything else, which the loader then reads through go-yaml as
// before. Scalars are resolved by the converter's own functions (scalar,
// keyString), so both readers give the same values; FuzzFastAgrees holds
// them to it. Giving up is always safe, so the reader refuses whatever it is
// not sure of: tabs, CR, non-ASCII bytes, anchors, aliases, tags, block
// scalars, multi-line scalars, escapes, flow mappings, duplicate keys, kind:
// List, and every line that is not where the structure expects it.

// fastMaxDepth bounds nesting in the fast reader; deeper documents go to
// go-yaml, which refuses them past maxDepth.
const fastMaxDepth = 100

// fastMaxKey is a bound under go-yaml's 1024-byte limit on implicit keys.
const fastMaxKey = 1000

type fastLine struct {
	indent int
	text   []byte // after the indentation, without the line break
	num    int    // 1-based line in the document
}

type fastParser struct {
	data []byte
	off  int // start of the next unread line
	num  int // number of that line
	cur  fastLine
	have bool // cur holds the next content line
}

// fastDocument reads a document that is one block mapping. firstLine is the
// line of its first key, as startLine gives it for go-yaml's tree.
func fastDocument(data []byte) (m map[string]any, firstLine int, ok bool) {
	for _, b := range data {
		if b >= 0x7f || b < 0x20 && b != '\n' {
			return nil, 0, false
		}
	}
	p := &fastParser{data: data, num: 1}
	l, ok := p.peek()
	if !ok || isEntry(l.text) {
		return nil, 0, false
	}
	m, ok = p.mapping(l.indent, 0)
	if !ok {
		return nil, 0, false
	}
	if _, more := p.peek(); more {
		return nil, 0, false
	}
	return m, l.num, true
}

// peek returns the next line that holds more than blanks and a comment.
func (p *fastParser) peek() (fastLine, bool) {
	if p.have {
		return p.cur, true
	}
	for p.off < len(p.data) {
		end := bytes.IndexByte(p.data[p.off:], '\n')
		next := len(p.data)
		if end >= 0 {
			end += p.off
			next = end + 1
		} else {
			end = len(p.data)
		}
		line := p.data[p.off:end]
		num := p.num
		p.off, p.num = next, p.num+1
		i := 0
		for i < len(line) && line[i] == ' ' {
			i++
		}
		if i == len(line) || line[i] == '#' {
			continue
		}
		p.cur, p.have = fastLine{indent: i, text: line[i:], num: num}, true
		return p.cur, true
	}
	return fastLine{}, false
}

func (p *fastParser) next() { p.have = false }

// str returns b as a string of its own: a substring of the document would
// keep the whole text alive as long as any of its values is held.
func (p *fastParser) str(b []byte) string { return intern.Bytes(b) }

// isEntry reports a block sequence entry: "-" alone or followed by a space.
func isEntry(text []byte) bool {
	return len(text) > 0 && text[0] == '-' && (len(text) == 1 || text[1] == ' ')
}

func (p *fastParser) mapping(indent, depth int) (map[string]any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	out := make(map[string]any)
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent {
			return out, true
		}
		if l.indent > indent {
			return nil, false
		}
		if isEntry(l.text) {
			// A compact sequence of the parent's key, or a mistake the
			// caller finds.
			return out, true
		}
		if indent == 0 && (bytes.HasPrefix(l.text, []byte("---")) || bytes.HasPrefix(l.text, []byte("..."))) {
			return nil, false
		}
		key, rest, ok := p.key(l.text)
		if !ok {
			return nil, false
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		p.next()
		v, ok := p.value(rest, indent, depth+1, true)
		if !ok {
			return nil, false
		}
		out[key] = v
	}
}

// key reads "key:" at the start of text and returns the key as the
// converter spells it and what follows the colon, without leading blanks.
// ok is false when text does not start with a key the fast reader takes.
func (p *fastParser) key(text []byte) (key string, rest []byte, ok bool) {
	var n yaml.Node
	n.Kind = yaml.ScalarNode
	var after []byte
	switch c := text[0]; {
	case c == '"' || c == '\'':
		v, tail, ok := p.quoted(text)
		if !ok || len(tail) == 0 || tail[0] != ':' {
			return "", nil, false
		}
		n.Value, after = v, tail[1:]
		n.Style = yaml.DoubleQuotedStyle
		if c == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
	case indicator(c):
		return "", nil, false
	default:
		i := colon(text)
		if i < 0 {
			return "", nil, false
		}
		k := text[:i]
		if k[len(k)-1] == ' ' || bytes.IndexByte(k, '#') >= 0 {
			return "", nil, false
		}
		n.Value, after = p.str(k), text[i+1:]
		if n.Value == "<<" {
			return "", nil, false
		}
	}
	if len(after) > 0 && after[0] != ' ' || len(text)-len(after) > fastMaxKey {
		return "", nil, false
	}
	k, ok := fastKey(&n)
	if !ok {
		return "", nil, false
	}
	return k, bytes.TrimLeft(after, " "), true
}

// colon returns the index of the first ':' followed by a space or the end.
func colon(text []byte) int {
	for i := 0; i < len(text); i++ {
		if text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ') {
			return i
		}
	}
	return -1
}

// indicator reports the characters that start something other than a
// plain scalar, or that the fast reader leaves to go-yaml.
func indicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return true
	}
	return false
}

// value reads the value of a key at indent, or of a sequence entry at
// indent: rest is what follows the colon or the dash on its line.
func (p *fastParser) value(rest []byte, indent, depth int, compact bool) (any, bool) {
	if len(rest) == 0 || rest[0] == '#' {
		l, ok := p.peek()
		switch {
		case !ok || l.indent < indent:
			return nil, true
		case l.indent > indent && isEntry(l.text):
			return p.sequence(l.indent, depth)
		case l.indent > indent:
			return p.mapping(l.indent, depth)
		case compact && isEntry(l.text):
			return p.sequence(indent, depth)
		}
		return nil, true
	}
	v, ok := p.inline(rest)
	if !ok {
		return nil, false
	}
	// A more indented line after a scalar continues it, or is a mistake.
	if l, more := p.peek(); more && l.indent > indent {
		return nil, false
	}
	return v, true
}

// inline reads a scalar, or a flow sequence of scalars, that fills the rest
// of a line.
func (p *fastParser) inline(text []byte) (any, bool) {
	var n yaml.Node
	n.Kind = yaml.ScalarNode
	var tail []byte
	switch c := text[0]; {
	case c == '"' || c == '\'':
		v, t, ok := p.quoted(text)
		if !ok {
			return nil, false
		}
		n.Value, tail = v, t
		n.Style = yaml.DoubleQuotedStyle
		if c == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
	case c == '[' || c == '{':
		v, tail, ok := p.flow(text, 0)
		if !ok || !blankOrComment(tail) {
			return nil, false
		}
		return v, true
	case c == '-' && len(text) > 1 && (text[1] >= '0' && text[1] <= '9' || text[1] == '.'):
		// A negative number.
		return p.plain(text)
	case indicator(c):
		return nil, false
	default:
		return p.plain(text)
	}
	if !blankOrComment(tail) {
		return nil, false
	}
	return fastScalar(&n)
}

// plain reads a one-line plain scalar that ends the line.
func (p *fastParser) plain(text []byte) (any, bool) {
	end := len(text)
	for i := 1; i < len(text); i++ {
		if text[i] == '#' && text[i-1] == ' ' {
			end = i
			break
		}
		if text[i] == ':' && (i+1 == len(text) || text[i+1] == ' ') {
			return nil, false
		}
	}
	v := bytes.TrimRight(text[:end], " ")
	if v[len(v)-1] == ':' {
		return nil, false
	}
	var n yaml.Node
	n.Kind, n.Value = yaml.ScalarNode, p.str(v)
	return fastScalar(&n)
}

// quoted reads a quoted scalar that closes on its line and has no escapes
// other than a doubled quote inside single quotes; tail is what follows
// the closing quote.
func (p *fastParser) quoted(text []byte) (v string, tail []byte, ok bool) {
	q := text[0]
	if q == '"' {
		for i := 1; i < len(text); i++ {
			switch text[i] {
			case '\\':
				return "", nil, false
			case '"':
				return p.str(text[1:i]), text[i+1:], true
			}
		}
		return "", nil, false
	}
	var b []byte // only when the value has ''
	start := 1
	for i := 1; i < len(text); i++ {
		if text[i] != '\'' {
			continue
		}
		if i+1 < len(text) && text[i+1] == '\'' {
			b = append(b, text[start:i+1]...)
			i++
			start = i + 1
			continue
		}
		if b == nil {
			return p.str(text[1:i]), text[i+1:], true
		}
		return string(append(b, text[start:i]...)), text[i+1:], true
	}
	return "", nil, false
}

// flow reads a flow sequence or mapping that closes on its line and holds
// scalars and flow collections: "[a, 'b', {c: d}]". It returns the value and
// what follows the closing bracket.
func (p *fastParser) flow(text []byte, depth int) (v any, tail []byte, ok bool) {
	if depth > fastMaxDepth {
		return nil, nil, false
	}
	closing := byte(']')
	var seq []any
	var m map[string]any
	if text[0] == '{' {
		closing, m = '}', map[string]any{}
	} else {
		seq = []any{}
	}
	i := skipBlanks(text, 1)
	if i < len(text) && text[i] == closing {
		if m != nil {
			return m, text[i+1:], true
		}
		return seq, text[i+1:], true
	}
	for i < len(text) {
		var key string
		if m != nil {
			n, rest, ok := p.flowScalar(text[i:], true)
			if !ok || len(rest) == 0 || rest[0] != ':' || len(rest) > 1 && rest[1] != ' ' && n.Style == 0 {
				return nil, nil, false
			}
			if n.Style == 0 && n.Value == "<<" {
				return nil, nil, false
			}
			if key, ok = fastKey(&n); !ok {
				return nil, nil, false
			}
			if _, dup := m[key]; dup {
				return nil, nil, false
			}
			i = skipBlanks(text, len(text)-len(rest)+1)
			if i == len(text) || text[i] == ',' || text[i] == '}' {
				return nil, nil, false
			}
		}
		var e any
		if c := text[i]; c == '[' || c == '{' {
			v, rest, ok := p.flow(text[i:], depth+1)
			if !ok {
				return nil, nil, false
			}
			e, i = v, len(text)-len(rest)
		} else {
			n, rest, ok := p.flowScalar(text[i:], false)
			if !ok {
				return nil, nil, false
			}
			if e, ok = fastScalar(&n); !ok {
				return nil, nil, false
			}
			i = len(text) - len(rest)
		}
		if m != nil {
			m[key] = e
		} else {
			seq = append(seq, e)
		}
		i = skipBlanks(text, i)
		if i == len(text) {
			return nil, nil, false
		}
		switch text[i] {
		case closing:
			if m != nil {
				return m, text[i+1:], true
			}
			return seq, text[i+1:], true
		case ',':
			i = skipBlanks(text, i+1)
			if i == len(text) || text[i] == ']' || text[i] == '}' || text[i] == ',' {
				return nil, nil, false
			}
		default:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// flowScalar reads a quoted or plain scalar inside a flow collection; a
// plain one ends at a comma, a bracket, or (for a key) ": ". rest is what
// follows it.
func (p *fastParser) flowScalar(text []byte, key bool) (n yaml.Node, rest []byte, ok bool) {
	n.Kind = yaml.ScalarNode
	switch c := text[0]; {
	case c == '"' || c == '\'':
		v, tail, ok := p.quoted(text)
		if !ok {
			return n, nil, false
		}
		n.Value = v
		n.Style = yaml.DoubleQuotedStyle
		if c == '\'' {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, tail, true
	case c == '-' && len(text) > 1 && (text[1] >= '0' && text[1] <= '9' || text[1] == '.'):
	case indicator(c):
		return n, nil, false
	}
	j := 0
	for ; j < len(text); j++ {
		c := text[j]
		if c == ',' || c == ']' || c == '}' {
			break
		}
		if c == ':' && key && j+1 < len(text) && text[j+1] == ' ' {
			break
		}
		switch c {
		case '[', '{', ':', '#', '"', '\'':
			return n, nil, false
		}
	}
	v := bytes.TrimRight(text[:j], " ")
	if len(v) == 0 {
		return n, nil, false
	}
	n.Value = p.str(v)
	return n, text[len(v):], true
}

func skipBlanks(text []byte, i int) int {
	for i < len(text) && text[i] == ' ' {
		i++
	}
	return i
}

// fastScalar is the converter's value of a scalar node; ok is false when
// the converter refuses it.
func fastScalar(n *yaml.Node) (any, bool) {
	if plainString(n) {
		return n.Value, true
	}
	v, err := scalar(n)
	return v, err == nil
}

// fastKey is the converter's key for a scalar node.
func fastKey(n *yaml.Node) (string, bool) {
	if plainString(n) {
		return n.Value, true
	}
	k, err := keyString(n)
	return k, err == nil
}

// plainString reports an untagged plain scalar that go-yaml reads as a
// string without a second look, by its first byte (see resolveTable in
// go-yaml's resolve.go), and that is no YAML 1.1 boolean either (those
// start with one of y, Y, n, N, o, O).
func plainString(n *yaml.Node) bool {
	if n.Style != 0 || n.Tag != "" || n.Value == "" {
		return false
	}
	switch c := n.Value[0]; {
	case c >= '0' && c <= '9':
		return false
	case strings.IndexByte("+-.~<yYnNtTfFoO", c) >= 0:
		return false
	}
	return true
}

// blankOrComment reports text that is empty, blanks, or blanks and a comment.
func blankOrComment(text []byte) bool {
	t := bytes.TrimLeft(text, " ")
	return len(t) == 0 || t[0] == '#' && len(t) < len(text)
}

// sequence reads a block sequence whose dashes are at indent.
func (p *fastParser) sequence(indent, depth int) ([]any, bool) {
	if depth > fastMaxDepth {
		return nil, false
	}
	out := make([]any, 0, 2)
	for {
		l, ok := p.peek()
		if !ok || l.indent < indent {
			return out, true
		}
		if l.indent > indent {
			return nil, false
		}
		if !isEntry(l.text) {
			// The parent mapping's next key, or a mistake it finds.
			return out, true
		}
		p.next()
		rest := l.text[1:]
		spaces := 0
		for spaces < len(rest) && rest[spaces] == ' ' {
			spaces++
		}
		rest = rest[spaces:]
		if len(rest) == 0 || rest[0] == '#' {
			v, ok := p.value(nil, indent, depth+1, false)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			continue
		}
		if isEntry(rest) {
			return nil, false
		}
		if _, _, isKey := p.key(rest); isKey {
			// "- key: value": a mapping whose first key is on the dash's line.
			p.cur, p.have = fastLine{indent: indent + 1 + spaces, text: rest, num: l.num}, true
			m, ok := p.mapping(indent+1+spaces, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, m)
			continue
		}
		v, ok := p.inline(rest)
		if !ok {
			return nil, false
		}
		if l, more := p.peek(); more && l.indent > indent {
			return nil, false
		}
		out = append(out, v)
	}
}
