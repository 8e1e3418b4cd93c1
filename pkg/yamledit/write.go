package yamledit

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Writer writes edited files so that a file is either replaced whole or
// left as it was. The zero value is ready to use.
type Writer struct {
	// BeforeRename, when set, runs after the temporary file is complete and
	// synced, just before it takes the file's place; an error stops the
	// write there. Tests use it to interrupt a write or to edit the file
	// meanwhile.
	BeforeRename func(tmp string) error
}

func (w Writer) beforeRename(tmp string) error {
	if w.BeforeRename == nil {
		return nil
	}
	return w.BeforeRename(tmp)
}

// Replace replaces path with data, or leaves it untouched: the content
// goes to a temporary file in the same directory, is synced, takes the
// original's mode, and is renamed over the original. Symlinks and read-only
// files are refused rather than followed or forced. read is the content the
// caller read: a file that no longer holds it (someone saved it meanwhile)
// is left as it is, so that their change is not lost.
func (w Writer) Replace(path string, data, read []byte) error {
	info, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink; zerodrop does not rewrite through links (fix the file it points to)", path)
	case !info.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file; not rewritten", path)
	case info.Mode().Perm()&0o200 == 0:
		return fmt.Errorf("%s is read-only; not rewritten", path)
	}
	tmp, err := writeTemp(path, data, info.Mode().Perm())
	if err != nil {
		return err
	}
	if err := w.beforeRename(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := unchanged(path, read); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// Create writes a new file (and its directories) without ever replacing an
// existing one.
func (w Writer) Create(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := writeTemp(path, data, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := w.beforeRename(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	// A hard link fails if path exists, unlike a rename.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while fixing; not overwritten", path)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// unchanged tells whether path still holds the content read, by hash.
func unchanged(path string, read []byte) error {
	now, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if sha256.Sum256(now) != sha256.Sum256(read) {
		return fmt.Errorf("%s changed since fix read it (edited meanwhile?); not rewritten, run fix again", path)
	}
	return nil
}

func writeTemp(path string, data []byte, mode fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".zerodrop-*")
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return tmp, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil // the rename happened; a directory we cannot open cannot be synced
	}
	defer d.Close()
	_ = d.Sync()
	return nil
}
