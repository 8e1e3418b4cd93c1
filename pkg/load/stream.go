package load

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/zerodrop/zerodrop/internal/workpool"
)

// document is one YAML document cut from a stream, with the line it starts on.
type document struct {
	data []byte
	line int // 1-based line of data[0] in the file
	// yamlLines maps a line as go-yaml counts it in data to a line as the
	// file counts it (both 1-based), when the two differ: go-yaml also ends
	// lines at a lone CR and at the Unicode NEL, LS and PS.
	yamlLines []int
	// aliases is the stream's alias expansion budget.
	aliases *aliasBudget
}

// fileLine turns a 1-based line of go-yaml in the document into a line of
// the file.
func (d *document) fileLine(n int) int {
	if n <= 0 {
		return d.line
	}
	if d.yamlLines != nil {
		n = d.yamlLines[min(n, len(d.yamlLines)-1)]
	}
	return d.line + n - 1
}

// mapLines fills yamlLines when go-yaml's line count will differ from the
// file's, which takes a line break other than LF or CR LF.
func (d *document) mapLines() {
	data := d.data
	if !OddLineBreaks(data) {
		return
	}
	m := []int{1, 1} // go-yaml line -> file line; index 0 is unused
	line := 1
	for i := 0; i < len(data); {
		switch {
		case data[i] == '\n':
			line++
			m = append(m, line)
			i++
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			line++
			m = append(m, line)
			i += 2
		case data[i] == '\r':
			m = append(m, line)
			i++
		case bytes.HasPrefix(data[i:], []byte("\xc2\x85")):
			m = append(m, line)
			i += 2
		case bytes.HasPrefix(data[i:], []byte("\xe2\x80\xa8")) || bytes.HasPrefix(data[i:], []byte("\xe2\x80\xa9")):
			m = append(m, line)
			i += 3
		default:
			i++
		}
	}
	// go-yaml counts one line past the end of the input.
	d.yamlLines = append(m, line+1)
}

// OddLineBreaks reports line breaks go-yaml counts and a split at LF does
// not: a lone CR, or the Unicode NEL, LS and PS. Node lines of such text are
// not the text's lines.
func OddLineBreaks(data []byte) bool {
	if bytes.Contains(data, []byte("\xc2\x85")) || bytes.Contains(data, []byte("\xe2\x80\xa8")) ||
		bytes.Contains(data, []byte("\xe2\x80\xa9")) {
		return true
	}
	for i := bytes.IndexByte(data, '\r'); i >= 0; {
		if i+1 == len(data) || data[i+1] != '\n' {
			return true
		}
		j := bytes.IndexByte(data[i+1:], '\r')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// Chunk is one document of a stream as Split cuts it, every byte kept: Sep
// is the separator line before it (empty for the first document, and for
// one whose separator line carries content, "--- {a: b}", which then
// starts Body), Body the document's text and Line the file line of Body's
// first byte (1-based).
type Chunk struct {
	Sep, Body []byte
	Line      int
}

// Split cuts a stream at "---" separator lines and "..." end markers, the
// way kubectl's YAML reader does, keeping every byte: the concatenation of
// the chunks' Sep and Body is data. It is the one splitter of zerodrop:
// the loader parses the chunks and fix edits them, so both see the same
// documents at the same lines. A chunk may have an empty Body (two
// separators in a row); the first is left out when it is empty.
func Split(data []byte) []Chunk {
	var chunks []Chunk
	cur := Chunk{Line: 1}
	start, line := 0, 1
	for i := 0; i < len(data); {
		end := bytes.IndexByte(data[i:], '\n')
		next := len(data)
		if end >= 0 {
			next = i + end + 1
		}
		if sep, inline := isSeparator(data[i:next]); sep {
			cur.Body = data[start:i]
			if len(cur.Sep) > 0 || len(cur.Body) > 0 {
				chunks = append(chunks, cur)
			}
			cur, start = Chunk{Sep: data[i:next], Line: line + 1}, next
			if inline {
				// "--- {a: b}" or "--- !!map": the document starts on the
				// separator line itself, and the YAML parser reads the
				// marker as a document start.
				cur, start = Chunk{Line: line}, i
			}
		}
		i = next
		line++
	}
	cur.Body = data[start:]
	if len(cur.Sep) > 0 || len(cur.Body) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

// splitDocuments returns the documents of a stream that hold any bytes.
func splitDocuments(data []byte) []document {
	var docs []document
	for _, c := range Split(data) {
		if len(c.Body) > 0 {
			docs = append(docs, document{data: c.Body, line: c.Line})
		}
	}
	return docs
}

// isSeparator reports whether a line separates documents: "---" alone or
// followed by blanks or a comment, or the "..." end marker. inline is set
// when the "---" is followed by content that belongs to the next document.
func isSeparator(l []byte) (sep, inline bool) {
	l = bytes.TrimRight(l, "\r\n")
	if bytes.HasPrefix(l, []byte("...")) {
		rest := bytes.TrimLeft(l[3:], " \t")
		if len(rest) == 0 || rest[0] == '#' && len(rest) < len(l)-3 {
			return true, false
		}
		return false, false
	}
	if !bytes.HasPrefix(l, []byte("---")) {
		return false, false
	}
	rest := l[3:]
	if len(rest) == 0 {
		return true, false
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return false, false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return true, len(rest) > 0 && rest[0] != '#'
}

// isBinary reports content that is not text: a NUL byte in the first block
// (which every common binary format and UTF-16 has), or a first block that
// is mostly not UTF-8. A few stray bytes in a text file are reported per
// document instead, with their line.
func isBinary(data []byte) bool {
	if utf16BOM(data) {
		return false
	}
	head := data
	if len(head) > 8000 {
		head = head[:8000]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	bad := 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 && len(head)-i >= utf8.UTFMax {
			bad++
		}
		i += size
	}
	return bad > 8 && bad*100 > len(head)
}

// utf16BOM reports a UTF-16 byte order mark, which Windows PowerShell 5
// writes when output is redirected to a file.
func utf16BOM(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff})
}

// DecodeUTF16 converts text that starts with a UTF-16 byte order mark to
// UTF-8 without the mark, as the loader reads it; ok is false when data has
// no such mark or does not decode.
func DecodeUTF16(data []byte) (text []byte, ok bool) { return fromUTF16(data) }

// fromUTF16 converts UTF-16 text that starts with a byte order mark to
// UTF-8. ok is false when data is not such text; the returned slice is then
// nil, or not when data has the mark but does not decode.
func fromUTF16(data []byte) (out []byte, ok bool) {
	if !utf16BOM(data) {
		return nil, false
	}
	if len(data)%2 != 0 {
		return []byte{}, false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if data[0] == 0xfe {
		order = binary.BigEndian
	}
	units := make([]uint16, 0, len(data)/2-1)
	for i := 2; i < len(data); i += 2 {
		units = append(units, order.Uint16(data[i:]))
	}
	out = make([]byte, 0, len(data))
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		if utf16.IsSurrogate(r) {
			if i+1 == len(units) {
				return []byte{}, false
			}
			r = utf16.DecodeRune(r, rune(units[i+1]))
			if r == utf8.RuneError {
				return []byte{}, false
			}
			i++
		}
		out = utf8.AppendRune(out, r)
	}
	return out, true
}

// checkText finds a NUL byte or a byte sequence that is not UTF-8 in a
// document, so that it is reported with its line instead of as a parser
// error without one.
func checkText(d document) (line int, msg string) {
	if i := bytes.IndexByte(d.data, 0); i >= 0 {
		return d.line + bytes.Count(d.data[:i], []byte("\n")), "NUL byte (binary content?); refused"
	}
	if utf8.Valid(d.data) {
		return 0, ""
	}
	for i := 0; i < len(d.data); {
		r, size := utf8.DecodeRune(d.data[i:])
		if r == utf8.RuneError && size == 1 {
			return d.line + bytes.Count(d.data[:i], []byte("\n")),
				fmt.Sprintf("byte 0x%02x is not UTF-8 (save the file as UTF-8); refused", d.data[i])
		}
		i += size
	}
	return 0, ""
}

// parseStream parses every document of one file or stream held in memory,
// in parallel, and returns the objects in input order.
func parseStream(name string, data []byte, discovered bool, opts Options) *Result {
	res := &Result{Files: 1}
	data, ok := prepareText(name, data, res)
	if !ok {
		return res
	}
	s := newStreamState(name, discovered, opts)
	s.parse(res, data, 1)
	s.finish(res)
	return res
}

// prepareText turns the bytes of a whole stream into the UTF-8 text the
// splitter reads: UTF-16 decoded, a UTF-8 byte order mark dropped, classic
// Mac line ends read as LF. ok is false, with an error in res, for input
// that is not text.
func prepareText(name string, data []byte, res *Result) (out []byte, ok bool) {
	if utf16, ok := fromUTF16(data); ok {
		data = utf16
	} else if utf16 != nil {
		res.Errors = append(res.Errors, InputError{Pos: Position{File: name}, Message: "UTF-16 text that does not decode (an odd number of bytes, or a broken surrogate pair); refused"})
		return nil, false
	}
	if isBinary(data) {
		res.Errors = append(res.Errors, InputError{Pos: Position{File: name}, Message: "binary content, not YAML or JSON; refused"})
		return nil, false
	}
	// A leading UTF-8 byte order mark is legal in JSON and YAML files.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	// A file whose lines all end in a lone CR (classic Mac) is read as if
	// they ended in LF, so that its documents are split and counted.
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	return data, true
}

// maxStreamErrors bounds the problems listed for one stream; the rest are
// counted. A stream of a million broken one-line documents would otherwise
// cost more to report than to read.
const maxStreamErrors = 1000

// streamState is what the documents of one stream share, however the
// stream is cut into batches: its alias budget and its error count.
type streamState struct {
	name       string
	discovered bool
	opts       Options
	aliases    *aliasBudget
	// aliasLeft is what the alias budget holds after the documents parsed
	// so far, counted in document order.
	aliasLeft int
	errors    int // problems found, listed or not
}

func newStreamState(name string, discovered bool, opts Options) *streamState {
	return &streamState{name: name, discovered: discovered, opts: opts,
		aliases: newAliasBudget(opts.MaxAliasExpansion), aliasLeft: opts.MaxAliasExpansion}
}

// parse parses the documents of data, a part of the stream that starts on
// line firstLine and at a document boundary, and adds them to res.
func (s *streamState) parse(res *Result, data []byte, firstLine int) {
	docs := splitDocuments(data)
	for i := range docs {
		docs[i].line += firstLine - 1
		docs[i].aliases = s.aliases
	}
	// A few thousand documents at a time: what a document's parse leaves
	// until it is merged (its errors above all) is then bounded by the
	// window, not by the number of documents, which in a stream of tiny
	// documents is millions.
	const window = 4096
	for lo := 0; lo < len(docs); lo += window {
		s.parseWindow(res, docs[lo:min(lo+window, len(docs))])
	}
}

// parseWindow parses documents side by side and adds them to res in order.
func (s *streamState) parseWindow(res *Result, docs []document) {
	name, discovered, opts := s.name, s.discovered, s.opts
	out := make([]docResult, len(docs))
	workers := runtime.GOMAXPROCS(0)
	if workers > len(docs) {
		workers = len(docs)
	}
	if workers <= 1 || len(docs) < 64 {
		for i, d := range docs {
			out[i] = parseDocument(name, d, discovered, opts)
		}
	} else {
		workpool.Chunks(len(docs), 32, workers, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				out[i] = parseDocument(name, docs[i], discovered, opts)
			}
			return nil
		})
	}
	// Documents are parsed side by side, drawing on one alias budget, so
	// which of them ran out of it depends on timing. Settle it in document
	// order: a document that in that order does not fit in what is left is
	// parsed again with exactly that, and refused at the same value every
	// run. Parsing again costs at most the budget once more.
	reopts := opts
	reopts.Parsed = nil
	for i := range out {
		r := &out[i]
		if r.aliasUsed == 0 && !r.aliasOut {
			continue
		}
		if !r.aliasOut && r.aliasUsed <= s.aliasLeft {
			s.aliasLeft -= r.aliasUsed
			continue
		}
		d := docs[i]
		d.aliases = newAliasBudget(s.aliasLeft)
		*r = parseDocument(name, d, discovered, reopts)
		s.aliasLeft = max(0, s.aliasLeft-r.aliasUsed)
	}
	s.aliases.left.Store(int64(s.aliasLeft))
	for _, r := range out {
		res.Objects = append(res.Objects, r.objects...)
		for _, e := range r.errors {
			s.refuse(res, e)
		}
		res.Skipped += r.skipped
	}
}

// refuse adds a problem of the stream, in document order, counted with the
// others.
func (s *streamState) refuse(res *Result, e InputError) {
	if s.errors < maxStreamErrors {
		res.Errors = append(res.Errors, e)
	}
	s.errors++
}

func docTooLarge(size int64, limit int) string {
	return fmt.Sprintf("document is %s, over the %s limit; refused", humanBytes(size), humanBytes(int64(limit)))
}

// finish adds the count of problems that were not listed.
func (s *streamState) finish(res *Result) {
	if n := s.errors - maxStreamErrors; n > 0 {
		res.Errors = append(res.Errors, InputError{Pos: Position{File: s.name},
			Message: fmt.Sprintf("%d more problems in this stream, not listed (the first %d are)", n, maxStreamErrors)})
	}
}

type docResult struct {
	objects []*Object
	errors  []InputError
	skipped int
	// aliasUsed is the number of values alias expansion produced; aliasOut
	// is set when the stream's budget ran out during the document.
	aliasUsed int
	aliasOut  bool
}

// parseDocument turns one document into objects. It never panics: a panic in
// the YAML parser on hostile input becomes an input error.
func parseDocument(name string, d document, discovered bool, opts Options) (r docResult) {
	pos := Position{File: name, Line: d.line}
	defer func() {
		if p := recover(); p != nil {
			r = docResult{errors: []InputError{{Pos: pos, Message: fmt.Sprintf("document could not be parsed: %v", p)}}}
		}
	}()
	if len(d.data) > opts.MaxDocumentBytes {
		return docResult{errors: []InputError{{Pos: pos, Message: docTooLarge(int64(len(d.data)), opts.MaxDocumentBytes)}}}
	}
	if len(bytes.TrimSpace(d.data)) == 0 {
		return docResult{}
	}
	if line, msg := checkText(d); msg != "" {
		return docResult{errors: []InputError{{Pos: Position{File: name, Line: line}, Message: msg}}}
	}
	d.mapLines()
	// The fast reader takes the document when it is in its part of YAML.
	m, line, fast := map[string]any(nil), 0, false
	if !opts.goyamlOnly && d.yamlLines == nil {
		m, line, fast = fastDocument(d.data)
		fast = fast && !isList(m)
	}
	if fast {
		r = objectsFrom(m, nil, Position{File: name, Line: d.fileLine(line)}, &d, discovered, false)
		if opts.Parsed != nil {
			defer opts.Parsed(d.line, d.data, nil)
		}
	} else {
		r = parseNodes(name, &d, discovered, opts)
	}
	if opts.Prepare != nil {
		for _, o := range r.objects {
			opts.Prepare(o)
		}
	}
	return r
}

// parseNodes turns one document into objects through go-yaml's node tree.
func parseNodes(name string, d *document, discovered bool, opts Options) (r docResult) {
	roots, doc, err := parseRoots(d.data)
	if doc != nil && err == nil && d.yamlLines == nil && opts.Parsed != nil {
		defer opts.Parsed(d.line, d.data, doc)
	}
	for _, root := range roots {
		sub := rootObjects(name, d, root, discovered, opts)
		r.objects = append(r.objects, sub.objects...)
		r.errors = append(r.errors, sub.errors...)
		r.skipped += sub.skipped
		r.aliasUsed += sub.aliasUsed
		r.aliasOut = r.aliasOut || sub.aliasOut
	}
	if err != nil {
		r.errors = append(r.errors, yamlError(name, d, err))
	}
	return r
}

// isList reports a mapping objectsFrom reads as a list of objects, whose
// items' lines only go-yaml's node tree knows.
func isList(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	return strings.HasSuffix(kind, "List")
}

// parseRoots parses the YAML documents of a cut and returns their root
// nodes. A cut normally holds one document, but go-yaml finds more after a
// document marker the splitter leaves alone (one ended by a lone CR, say);
// those are read too rather than dropped.
// doc is the whole document node when the cut held exactly one document.
func parseRoots(data []byte) (roots []*yaml.Node, doc *yaml.Node, err error) {
	if !bytes.Contains(data, []byte("\r---")) && !bytes.Contains(data, []byte("\r...")) &&
		!bytes.Contains(data, []byte("\n...")) {
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, nil, err
		}
		if root.Kind == 0 || len(root.Content) == 0 {
			return nil, nil, nil // only comments
		}
		return []*yaml.Node{root.Content[0]}, &root, nil
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if err == io.EOF {
			return roots, nil, nil
		}
		if err != nil {
			return roots, nil, err
		}
		if len(root.Content) > 0 {
			roots = append(roots, root.Content[0])
		}
	}
}

// NodeObjects turns an already parsed document root into objects, as if it
// had been read from file name with its body starting at line: tools that
// edit documents in memory (zerodrop fix) re-check them without printing and
// re-parsing them. Node lines count from the document's first line.
func NodeObjects(name string, root *yaml.Node, line int, discovered bool, opts Options) *Result {
	opts = opts.withDefaults()
	d := &document{line: line}
	r := rootObjects(name, d, root, discovered, opts)
	if opts.Prepare != nil {
		for _, o := range r.objects {
			opts.Prepare(o)
		}
	}
	return &Result{Objects: r.objects, Errors: r.errors, Skipped: r.skipped}
}

// rootObjects converts the root node of one YAML document.
func rootObjects(name string, d *document, node *yaml.Node, discovered bool, opts Options) (r docResult) {
	pos := Position{File: name, Line: d.fileLine(startLine(node))}
	c := converter{budget: d.aliases, limit: opts.MaxAliasExpansion, doc: d}
	if c.budget == nil {
		c.budget = newAliasBudget(opts.MaxAliasExpansion)
	}
	defer func() { r.aliasUsed, r.aliasOut = c.used, c.out }()
	v, err := c.value(node, 0)
	if err != nil {
		epos := pos
		if ce, ok := err.(*convError); ok && ce.line > 0 {
			epos.Line = d.fileLine(ce.line)
		}
		return docResult{errors: []InputError{{Pos: epos, Message: err.Error()}}}
	}
	m, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return docResult{}
		}
		if discovered {
			return docResult{skipped: 1}
		}
		return docResult{errors: []InputError{{Pos: pos, Message: fmt.Sprintf("document is a %s, not a Kubernetes object (a mapping with apiVersion and kind)", describe(v))}}}
	}
	return objectsFrom(m, node, pos, d, discovered, false)
}

// objectsFrom builds the object for a mapping, expanding kind: List.
// discovered marks a file found by walking a directory: documents there that
// are plainly not Kubernetes objects are counted as skipped, not reported.
// inList marks the items of a List, which are always reported.
func objectsFrom(m map[string]any, node *yaml.Node, pos Position, d *document, discovered, inList bool) docResult {
	var r docResult
	fail := func(format string, args ...any) docResult {
		r.errors = append(r.errors, InputError{Pos: pos, Message: fmt.Sprintf(format, args...)})
		return r
	}
	apiVersion, err := stringField(m, "apiVersion")
	if err != "" {
		return fail("%s", err)
	}
	kind, err := stringField(m, "kind")
	if err != "" {
		return fail("%s", err)
	}
	// Tool configuration next to manifests (Helm's values.yaml and
	// Chart.yaml, kustomization.yaml, kubeconfig or kind cluster files) has
	// no kind, or no metadata, which every API object has.
	_, hasMeta := m["metadata"]
	if discovered && !inList && (apiVersion == "" && kind == "" || kind == "" && !hasMeta ||
		!hasMeta && !strings.HasSuffix(kind, "List")) {
		r.skipped = 1
		return r
	}
	switch {
	case apiVersion == "" && kind == "":
		return fail("not a Kubernetes object: apiVersion and kind are missing")
	case kind == "":
		return fail("object has apiVersion %q but no kind", apiVersion)
	case apiVersion == "":
		return fail("object of kind %s has no apiVersion", kind)
	}
	// kubectl get writes "apiVersion: v1, kind: List"; the API itself
	// answers with typed lists such as "apps/v1 DeploymentList".
	_, hasItems := m["items"].([]any)
	if kind == "List" || (strings.HasSuffix(kind, "List") && (apiVersion == "v1" || hasItems)) {
		items, ok := m["items"].([]any)
		if !ok && m["items"] != nil {
			return fail("%s: items is a %s, not a list", kind, describe(m["items"]))
		}
		itemNodes := listItemNodes(node)
		for i, it := range items {
			ipos := pos
			var in *yaml.Node
			if i < len(itemNodes) {
				in = itemNodes[i]
				ipos.Line = d.fileLine(startLine(in))
			}
			im, ok := it.(map[string]any)
			if !ok {
				r.errors = append(r.errors, InputError{Pos: ipos, Message: fmt.Sprintf("%s item %d is a %s, not an object", kind, i, describe(it))})
				continue
			}
			sub := objectsFrom(im, in, ipos, d, discovered, true)
			for _, o := range sub.objects {
				o.FromList = true
			}
			r.objects = append(r.objects, sub.objects...)
			r.errors = append(r.errors, sub.errors...)
		}
		return r
	}
	o := &Object{Pos: pos, APIVersion: apiVersion, Kind: kind, Raw: m, Discovered: discovered}
	md, ok := m["metadata"].(map[string]any)
	if !ok && m["metadata"] != nil {
		return fail("%s: metadata is a %s, not a mapping", kind, describe(m["metadata"]))
	}
	for _, f := range []struct {
		key string
		to  *string
	}{{"name", &o.Name}, {"namespace", &o.Namespace}} {
		if *f.to, err = stringField(md, f.key); err != "" {
			return fail("%s: metadata.%s", kind, err)
		}
	}
	if o.Name == "" {
		gen, err := stringField(md, "generateName")
		if err != "" {
			return fail("%s: metadata.%s", kind, err)
		}
		if gen == "" {
			return fail("%s has no metadata.name", kind)
		}
		o.Name = gen
	}
	r.objects = append(r.objects, o)
	return r
}

// stringField reads a field that must be a string when it is set. It
// returns a message when the field holds something else.
func stringField(m map[string]any, key string) (string, string) {
	switch v := m[key].(type) {
	case string:
		return v, ""
	case nil:
		return "", ""
	case map[string]any, []any:
		return "", fmt.Sprintf("%s is a %s, not a string", key, describe(v))
	default:
		return "", fmt.Sprintf("%s is a %s (%v), not a string", key, describe(v), v)
	}
}

// startLine is the line an object starts on: its first key for a block
// mapping (a tag or anchor may sit on the line before), the opening brace
// for a flow mapping such as JSON.
func startLine(n *yaml.Node) int {
	if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0 {
		return n.Content[0].Line
	}
	return n.Line
}

// listItemNodes returns the nodes of a List's items, for their line numbers.
func listItemNodes(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "items" {
			v := n.Content[i+1]
			if v.Kind == yaml.SequenceNode {
				return v.Content
			}
		}
	}
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case string:
		return "string"
	case int64, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// parserProblems are the problems go-yaml's parser (as opposed to its
// scanner) reports. For these go-yaml prints a 0-based line: the line where
// the broken construct starts (an unclosed [ or {, the mapping that lost its
// key), or where parsing stopped when that construct starts the document.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// yamlError turns a go-yaml error into an InputError with the line in the
// file. go-yaml reports "yaml: line N: msg" relative to the document.
func yamlError(name string, d *document, err error) InputError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	n := 0 // line in the document, 0 when unknown
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &n); scanErr == nil && n > 0 {
		if i := strings.Index(msg, ":"); i >= 0 {
			msg = strings.TrimSpace(msg[i+1:])
		}
		for _, p := range parserProblems {
			if msg == p {
				n++
				break
			}
		}
		n = d.fileLine(n) - d.line + 1 // from here on, a line of the file
	} else if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = strings.Join(te.Errors, "; ")
	} else if strings.HasPrefix(msg, "unknown anchor '") {
		anchor := strings.TrimSuffix(strings.TrimPrefix(msg, "unknown anchor '"), "' referenced")
		n = aliasLine(d.data, anchor)
	}
	if n > 0 {
		// A problem found at the end of the input is reported on the line
		// after the last one; keep it on the document's last line.
		n = min(n, lastLine(d.data))
		if msg == "found character that cannot start any token" && tabIndented(d.data, n) {
			msg += " (a tab in the indentation: YAML indents with spaces only)"
		}
	}
	line := d.line
	if n > 0 {
		line = d.line + n - 1
	}
	return InputError{Pos: Position{File: name, Line: line}, Message: "invalid YAML: " + msg}
}

// lastLine is the number of the last line of data that is not empty.
func lastLine(data []byte) int {
	data = bytes.TrimRight(data, " \t\r\n")
	return bytes.Count(data, []byte("\n")) + 1
}

// lineAt returns line n (1-based) of data, without its line break.
func lineAt(data []byte, n int) []byte {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return nil
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return bytes.TrimRight(data, "\r")
}

// tabIndented reports whether line n of data has a tab in its indentation.
func tabIndented(data []byte, n int) bool {
	l := lineAt(data, n)
	indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0
}

// aliasLine finds the line of the first use of *anchor, 0 if not found.
func aliasLine(data []byte, anchor string) int {
	ref := []byte("*" + anchor)
	for off := 0; ; {
		i := bytes.Index(data[off:], ref)
		if i < 0 {
			return 0
		}
		end := off + i + len(ref)
		if end == len(data) || bytes.IndexByte([]byte(" \t\r\n,]}"), data[end]) >= 0 {
			return bytes.Count(data[:off+i], []byte("\n")) + 1
		}
		off = end
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
