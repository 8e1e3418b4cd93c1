package load

import (
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
	data, err := readLimited(f, opts.MaxFileBytes)
	if err != nil {
		return fail(err.Error())
	}
	return parseStream(path, data, discovered, opts)
}

// Reader reads one stream, such as stdin.
func Reader(name string, r io.Reader, opts Options) *Result {
	opts = opts.withDefaults()
	if r == nil {
		return &Result{Errors: []InputError{{Pos: Position{File: name}, Message: "no input stream"}}}
	}
	data, err := readLimited(r, opts.MaxFileBytes)
	if err != nil {
		return &Result{Errors: []InputError{{Pos: Position{File: name}, Message: err.Error()}}}
	}
	return parseStream(name, data, false, opts)
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

// errBinary marks input that is not text.
var errBinary = errors.New("binary content, not YAML or JSON; refused")

// readLimited reads at most limit bytes. It looks at the first block before
// reading on, so a binary stream (or an endless one like /dev/zero) is
// refused at once instead of after limit bytes.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	head := make([]byte, 8192)
	n, err := io.ReadFull(r, head)
	head = head[:n]
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		if isBinary(head) {
			return nil, errBinary
		}
		if int64(n) > limit {
			return nil, errors.New(tooLarge(limit))
		}
		return head, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read failed: %w", err)
	}
	if isBinary(head) {
		return nil, errBinary
	}
	rest, err := io.ReadAll(io.LimitReader(r, limit+1-int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read failed: %w", err)
	}
	data := append(head, rest...)
	if int64(len(data)) > limit {
		return nil, errors.New(tooLarge(limit))
	}
	return data, nil
}

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
