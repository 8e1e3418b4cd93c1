package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// StdinName is the file name used for objects read from standard input.
const StdinName = "<stdin>"

// manifestExt reports whether a discovered file looks like a manifest, using
// kubectl's list of extensions.
func manifestExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Paths reads every path: a file, a directory (its manifest files; all
// levels with Recursive), or "-" for stdin. Unreadable paths become input
// errors and the rest is still read.
func Paths(ctx context.Context, paths []string, stdin io.Reader, opts Options) *Result {
	opts = opts.withDefaults()
	res := &Result{}
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			res.Errors = append(res.Errors, InputError{Pos: Position{File: p}, Message: "not read: " + err.Error()})
			continue
		}
		if p == "-" {
			res.merge(Reader(StdinName, stdin, opts))
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			res.Errors = append(res.Errors, InputError{Pos: Position{File: p}, Message: describeFSError(err)})
			continue
		}
		if info.IsDir() {
			res.merge(dir(ctx, p, opts))
			continue
		}
		res.merge(File(p, false, opts))
	}
	return res
}

func dir(ctx context.Context, root string, opts Options) *Result {
	res := &Result{}
	files, errs := walk(ctx, root, opts)
	res.Errors = append(res.Errors, errs...)
	for _, f := range files {
		res.merge(File(f, true, opts))
	}
	return res
}

// walk lists the manifest files of a directory, sorted, as Paths reads them.
func walk(ctx context.Context, root string, opts Options) ([]string, []InputError) {
	var errs []InputError
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, InputError{Pos: Position{File: path}, Message: describeFSError(err)})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			if !opts.Recursive || strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !manifestExt(d.Name()) || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		errs = append(errs, InputError{Pos: Position{File: root}, Message: describeFSError(err)})
	}
	sort.Strings(files)
	return files, errs
}

// FileRef names a file Paths would read, and whether it was found by
// walking a directory.
type FileRef struct {
	Path       string
	Discovered bool
}

// ListFiles returns the files Paths would read for these paths, without
// reading them ("-" is left out). Tools that rewrite files use it.
func ListFiles(ctx context.Context, paths []string, opts Options) []FileRef {
	var out []FileRef
	for _, p := range paths {
		if p == "-" {
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !info.IsDir() {
			out = append(out, FileRef{Path: p})
			continue
		}
		files, _ := walk(ctx, p, opts)
		for _, f := range files {
			out = append(out, FileRef{Path: f, Discovered: true})
		}
	}
	return out
}

// File reads one file. discovered marks files found by walking a directory,
// whose non-Kubernetes documents are skipped instead of reported.
func File(path string, discovered bool, opts Options) *Result {
	opts = opts.withDefaults()
	fail := func(msg string) *Result {
		return &Result{Errors: []InputError{{Pos: Position{File: path}, Message: msg}}}
	}
	// Look before opening: opening a named pipe waits for a writer, which
	// never comes for a pipe that merely sits in a directory.
	info, err := os.Stat(path)
	if err != nil {
		return fail(describeFSError(err))
	}
	if mode := info.Mode(); !mode.IsRegular() {
		switch {
		case mode.IsDir():
			return fail("is a directory")
		case mode&fs.ModeNamedPipe != 0 && !discovered:
			// Named on the command line: a stream such as <(helm template .).
		default:
			return fail("not a regular file or pipe; refused")
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(describeFSError(err))
	}
	defer f.Close()
	if info.Mode().IsRegular() && info.Size() > opts.MaxFileBytes {
		return fail(tooLarge(opts.MaxFileBytes))
	}
	return readStream(path, f, discovered, opts)
}

// Reader reads one stream, such as stdin.
func Reader(name string, r io.Reader, opts Options) *Result {
	opts = opts.withDefaults()
	if r == nil {
		return &Result{Errors: []InputError{{Pos: Position{File: name}, Message: "no input stream"}}}
	}
	return readStream(name, r, false, opts)
}

// Stream parses an in-memory file as if read from disk: discovered marks a
// file found by walking a directory (non-Kubernetes documents are skipped).
func Stream(name string, data []byte, discovered bool, opts Options) *Result {
	opts = opts.withDefaults()
	if int64(len(data)) > opts.MaxFileBytes {
		return &Result{Errors: []InputError{{Pos: Position{File: name}, Message: tooLarge(opts.MaxFileBytes)}}}
	}
	return parseStream(name, data, discovered, opts)
}

// Bytes parses an in-memory stream.
func Bytes(name string, data []byte, opts Options) *Result {
	opts = opts.withDefaults()
	if int64(len(data)) > opts.MaxFileBytes {
		return &Result{Errors: []InputError{{Pos: Position{File: name}, Message: tooLarge(opts.MaxFileBytes)}}}
	}
	return parseStream(name, data, false, opts)
}

// batchBytes is how much of a stream is read before its documents are
// parsed: streams are parsed batch by batch, each cut at a document
// separator, so that a large file or stdin is never held whole.
var batchBytes = 4 << 20

// readStream reads and parses a stream batch by batch. The stream as a
// whole is bounded by opts.MaxFileBytes; over it, everything read is
// dropped and the stream refused, as if it had been read whole. A document
// over opts.MaxDocumentBytes is refused as soon as it is known to be, and
// read past without being held.
func readStream(name string, r io.Reader, discovered bool, opts Options) *Result {
	fail := func(msg string) *Result {
		return &Result{Files: 1, Errors: []InputError{{Pos: Position{File: name}, Message: msg}}}
	}
	head := make([]byte, 8192, max(8192, batchBytes))
	n, err := io.ReadFull(r, head)
	head = head[:n]
	eof := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !eof {
		return fail(fmt.Sprintf("read failed: %v", err))
	}
	if isBinary(head) {
		return fail(errBinary.Error())
	}
	if eof || utf16BOM(head) || classicMac(head) {
		// Short, UTF-16 or with classic Mac line ends: read whole.
		data, err := readRest(head, r, eof, opts.MaxFileBytes)
		if err != nil {
			return fail(err.Error())
		}
		return parseStream(name, data, discovered, opts)
	}

	res := &Result{Files: 1}
	s := newStreamState(name, discovered, opts)
	buf := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	total := int64(n)
	line := 1 // the file line of buf[0]
	for !eof {
		if cap(buf)-len(buf) < max(1, batchBytes/2) {
			nb := make([]byte, len(buf), max(2*len(buf), batchBytes))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		total += int64(m)
		if opts.Read != nil {
			opts.Read(total)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			eof = true
		} else if err != nil {
			return fail(fmt.Sprintf("read failed: %v", err))
		}
		if total > opts.MaxFileBytes {
			return fail(tooLarge(opts.MaxFileBytes))
		}
		if eof {
			break
		}
		cut := lastSeparator(buf)
		if cut <= 0 && len(buf) > opts.MaxDocumentBytes {
			if line == 1 && classicMac(buf) {
				data, err := readRest(buf, r, false, opts.MaxFileBytes-(total-int64(len(buf))))
				if err != nil {
					return fail(err.Error())
				}
				return parseStream(name, data, discovered, opts)
			}
			// Separators other than "---" lines (lastSeparator looks for
			// those only) may cut the buffer; the last document is what
			// follows the last separator among its complete lines.
			// The line being read counts only when it cannot be a
			// separator.
			cut = 0
			complete := bytes.LastIndexByte(buf, '\n') + 1
			sepLen, bodyLine := 0, 1
			if chunks := Split(buf[:complete]); len(chunks) > 0 {
				last := chunks[len(chunks)-1]
				sepLen, bodyLine = len(last.Sep), last.Line
				cut = complete - len(last.Sep) - len(last.Body)
			}
			end := len(buf)
			if maybeSeparator(buf[complete:]) {
				end = complete
			}
			if end-cut-sepLen > opts.MaxDocumentBytes {
				if cut > 0 {
					s.parse(res, buf[:cut], line)
				}
				sk := skipDocument(r, buf[cut+sepLen:], opts.MaxFileBytes-total)
				if sk.err != nil {
					return fail(sk.err.Error())
				}
				total += sk.read
				if total > opts.MaxFileBytes {
					return fail(tooLarge(opts.MaxFileBytes))
				}
				s.refuse(res, InputError{Pos: Position{File: name, Line: line + bodyLine - 1},
					Message: docTooLarge(sk.size, opts.MaxDocumentBytes)})
				line += bodyLine - 1 + sk.lines
				buf, eof = sk.rest, sk.eof
				continue
			}
		}
		if cut <= 0 {
			continue // one document so far: read on
		}
		s.parse(res, buf[:cut], line)
		line += bytes.Count(buf[:cut], []byte("\n"))
		// A new buffer, not the old one reused: a batch's bytes may be kept
		// (Options.Parsed) after it is parsed.
		rest := buf[cut:]
		buf = make([]byte, len(rest), max(batchBytes, 2*len(rest)))
		copy(buf, rest)
	}
	if line == 1 && classicMac(buf) {
		return parseStream(name, buf, discovered, opts)
	}
	s.parse(res, buf, line)
	s.finish(res)
	return res
}

// classicMac reports text whose lines end in a lone CR, which the loader
// reads as LF when the whole stream has no LF at all.
func classicMac(data []byte) bool {
	return bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0
}

// skipped is what skipDocument read.
type skipped struct {
	size  int64  // the document's bytes
	lines int    // line breaks in them
	rest  []byte // the stream from the line after the document on
	read  int64  // bytes read from the reader
	eof   bool
	err   error
}

// skipDocument reads past the rest of a document that is over the size
// limit, holding only the line it is on: body is what was read of the
// document so far; it stops once more than limit bytes were read. The
// document ends where Split would end it, at a separator line; rest then
// starts on that line (an inline "--- {a: b}" starts the next document)
// or after it.
func skipDocument(r io.Reader, body []byte, limit int64) skipped {
	var sk skipped
	// Complete lines of body hold no separator (Split would have cut
	// there): count them and keep only the line being read.
	if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
		sk.size, sk.lines = int64(i+1), bytes.Count(body[:i+1], []byte("\n"))
		body = body[i+1:]
	}
	// cur is the line being read, kept only while it may be a separator.
	var cur []byte
	curLen := int64(0)
	mayBeSep := true
	take := func(part []byte) {
		curLen += int64(len(part))
		if mayBeSep {
			cur = append(cur, part...)
			mayBeSep = maybeSeparator(cur)
			if !mayBeSep {
				cur = cur[:0]
			}
		}
	}
	buf := make([]byte, 64<<10)
	data := body
	for {
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				take(data)
				break
			}
			take(data[:i+1])
			data = data[i+1:]
			if mayBeSep {
				if sep, inline := isSeparator(cur); sep {
					if inline {
						sk.rest = append(append([]byte{}, cur...), data...)
					} else {
						sk.lines++
						sk.rest = append([]byte{}, data...)
					}
					return sk
				}
			}
			sk.size += curLen
			sk.lines++
			cur, curLen, mayBeSep = cur[:0], 0, true
		}
		if sk.eof {
			// The last line has no line break; it too may end the document.
			if mayBeSep && len(cur) > 0 {
				if sep, inline := isSeparator(cur); sep {
					if inline {
						sk.rest = cur
					}
					return sk
				}
			}
			sk.size += curLen
			return sk
		}
		m, err := io.ReadFull(r, buf)
		sk.read += int64(m)
		if sk.read > limit {
			return sk // the caller refuses the stream
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			sk.eof = true
		} else if err != nil {
			sk.err = fmt.Errorf("read failed: %w", err)
			return sk
		}
		data = buf[:m]
	}
}

// maybeSeparator reports whether a line that starts with line may be a
// separator line (see isSeparator).
func maybeSeparator(line []byte) bool {
	for _, marker := range []string{"---", "..."} {
		n := min(len(line), 3)
		if string(line[:n]) != marker[:n] {
			continue
		}
		if len(line) <= 3 {
			return true
		}
		if marker == "---" {
			return line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || line[3] == '\n'
		}
		rest := bytes.TrimLeft(line[3:], " \t")
		return len(rest) == 0 || rest[0] == '#' || rest[0] == '\r' || rest[0] == '\n'
	}
	return false
}

// lastSeparator returns where the last complete "---" separator line of
// data starts (one that is not followed by a document on the same line),
// or -1. Everything before it is whole documents.
func lastSeparator(data []byte) int {
	end := len(data)
	for end > 0 {
		i := bytes.LastIndex(data[:end], []byte("\n---"))
		if i < 0 {
			return -1
		}
		start := i + 1
		if nl := bytes.IndexByte(data[start:], '\n'); nl >= 0 {
			if sep, inline := isSeparator(data[start : start+nl+1]); sep && !inline {
				return start
			}
		}
		end = i
	}
	return -1
}

// readRest reads the rest of a stream after its head, up to limit bytes
// in all.
func readRest(head []byte, r io.Reader, eof bool, limit int64) ([]byte, error) {
	if eof {
		if int64(len(head)) > limit {
			return nil, errors.New(tooLarge(limit))
		}
		return head, nil
	}
	rest, err := io.ReadAll(io.LimitReader(r, limit+1-int64(len(head))))
	if err != nil {
		return nil, fmt.Errorf("read failed: %w", err)
	}
	data := append(head, rest...)
	if int64(len(data)) > limit {
		return nil, errors.New(tooLarge(limit))
	}
	return data, nil
}

// errBinary marks input that is not text.
var errBinary = errors.New("binary content, not YAML or JSON; refused")

func tooLarge(limit int64) string {
	return fmt.Sprintf("input is over the %s limit; refused", humanBytes(limit))
}

func describeFSError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
