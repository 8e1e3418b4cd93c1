package yamledit

import (
	"bytes"

	"github.com/zerodrop/zerodrop/pkg/load"
	yaml "go.yaml.in/yaml/v3"
)

// Writing a change into a JSON document, as splice.go does for YAML: a new
// member goes after the object's last member (on a line of its own, at the
// same indentation, when the object spans lines), a new array item after
// the last item, a replaced value over the old one. New values are printed
// as compact JSON. The result is always parsed again and compared with the
// merged tree.

// spliceJSON returns the JSON document's text with the merged tree's
// changes written in place, or false when it cannot place one of them.
func spliceJSON(d *Doc) ([]byte, bool) {
	if d.Tree == nil || load.OddLineBreaks(d.Body) || (d.Edits != nil && len(d.Edits.removed) > 0) {
		return nil, false
	}
	s := newSplicer(d)
	if !s.jsonWalk(root(d.Tree)) {
		return nil, false
	}
	out, ok := s.apply()
	if !ok || !holds(out, d.Tree) {
		return nil, false
	}
	return out, true
}

// jsonWalk finds the changes under an original node.
func (s *splicer) jsonWalk(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		added, last, ok := entries(n, s.jsonReplace, s.jsonWalk)
		if !ok {
			return false
		}
		if len(added) == 0 {
			return true
		}
		var members [][]byte
		for i := 0; i+1 < len(added); i += 2 {
			k, err := compactJSON(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: added[i].Value})
			if err != nil {
				return false
			}
			v, err := compactJSON(added[i+1])
			if err != nil {
				return false
			}
			members = append(members, append(append(k, ": "...), v...))
		}
		if last < 0 {
			return s.jsonAppend(n, nil, -1, members)
		}
		return s.jsonAppend(n, n.Content[last], last+1, members)
	case yaml.SequenceNode:
		added, last, ok := entries(n, nil, s.jsonWalk)
		if !ok {
			return false
		}
		var items [][]byte
		for _, it := range added {
			v, err := compactJSON(it)
			if err != nil {
				return false
			}
			items = append(items, v)
		}
		if len(items) == 0 {
			return true
		}
		if last < 0 {
			return s.jsonAppend(n, nil, -1, items)
		}
		return s.jsonAppend(n, n.Content[last], last, items)
	case yaml.ScalarNode:
		return true
	}
	return false
}

// jsonReplace writes a replaced value over the old one.
func (s *splicer) jsonReplace(_, v *yaml.Node) bool {
	old := s.rec.original(v)
	if old == nil || isNew(old) {
		return false
	}
	start, end, ok := s.jsonExtent(old)
	text, err := compactJSON(v)
	if !ok || err != nil {
		return false
	}
	s.out = append(s.out, textEdit{start: start, end: end, text: text})
	return true
}

// jsonAppend adds members (or items) to object (or array) n after its
// entry n.Content[last]; lineOf is the node whose line and indentation a
// new entry copies when the collection spans lines.
func (s *splicer) jsonAppend(n, lineOf *yaml.Node, last int, entries [][]byte) bool {
	open, ok := s.offset(n.Line, n.Column)
	if !ok || open >= len(s.body) || (s.body[open] != '{' && s.body[open] != '[') {
		return false
	}
	if last < 0 {
		// An empty collection: the entries go right after the bracket.
		s.out = append(s.out, textEdit{start: open + 1, end: open + 1, text: bytes.Join(entries, []byte(", "))})
		return true
	}
	_, end, ok := s.jsonExtent(n.Content[last])
	if !ok {
		return false
	}
	sep := []byte(", ")
	if lineOf.Line != n.Line {
		lineStart := s.lines[lineOf.Line-1]
		at, ok := s.offset(lineOf.Line, lineOf.Column)
		if !ok || len(bytes.Trim(s.body[lineStart:at], " \t")) > 0 {
			return false // the entry does not start its line
		}
		sep = append([]byte(","+s.nl), s.body[lineStart:at]...)
	}
	var text []byte
	for _, e := range entries {
		text = append(append(text, sep...), e...)
	}
	s.out = append(s.out, textEdit{start: end, end: end, text: text})
	return true
}

// jsonExtent finds the bytes of a JSON value: a string, a number or word,
// or an object or array up to its matching bracket.
func (s *splicer) jsonExtent(n *yaml.Node) (int, int, bool) {
	start, ok := s.offset(n.Line, n.Column)
	if !ok || start >= len(s.body) {
		return 0, 0, false
	}
	b := s.body
	switch b[start] {
	case '"':
		for i := start + 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return start, i + 1, true
			case '\n':
				return 0, 0, false
			}
		}
	case '{', '[':
		depth, inString := 0, false
		for i := start; i < len(b); i++ {
			c := b[i]
			switch {
			case inString && c == '\\':
				i++
			case inString && c == '"':
				inString = false
			case inString:
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					return start, i + 1, true
				}
			}
		}
	default:
		i := start
		for i < len(b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(b[i])) {
			i++
		}
		return start, i, i > start
	}
	return 0, 0, false
}

// compactJSON prints a value as JSON on one line.
func compactJSON(n *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	if err := writeJSON(&b, n, 0, true); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
