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
// dropped and the stream refused, as if it had been read whole.
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
	if eof || utf16BOM(head) || bytes.IndexByte(head, '\n') < 0 {
		// Short, UTF-16 or without a line break early on: read whole.
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
	line := 1
	for !eof {
		if cap(buf)-len(buf) < max(1, batchBytes/2) {
			nb := make([]byte, len(buf), max(2*len(buf), batchBytes))
			copy(nb, buf)
			buf = nb
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		total += int64(m)
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
	s.parse(res, buf, line)
	s.finish(res)
	return res
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
