package yamledit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplaceKeepsModeAndLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(path, []byte("a: 1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := (Writer{}).Replace(path, []byte("a: 2\n"), []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	info, _ := os.Stat(path)
	if string(got) != "a: 2\n" || info.Mode().Perm() != 0o640 {
		t.Errorf("file holds %q with mode %v, want %q with 0640", got, info.Mode().Perm(), "a: 2\n")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want the file alone", len(entries))
	}
}

// A file saved by someone else between reading and writing keeps their
// bytes; a write stopped before the rename leaves the file as it was.
func TestReplaceLeavesTheFileWhenItChangedOrTheWriteStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.yaml")
	read := []byte("a: 1\n")
	for name, hook := range map[string]func(string) error{
		"edited meanwhile": func(string) error { return os.WriteFile(path, []byte("theirs: 1\n"), 0o644) },
		"stopped":          func(string) error { return errors.New("stopped before rename") },
	} {
		if err := os.WriteFile(path, read, 0o644); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(path)
		w := Writer{BeforeRename: func(tmp string) error {
			err := hook(tmp)
			before, _ = os.ReadFile(path)
			return err
		}}
		if err := w.Replace(path, []byte("a: 2\n"), read); err == nil {
			t.Errorf("%s: Replace reported success", name)
		}
		if got, _ := os.ReadFile(path); string(got) != string(before) {
			t.Errorf("%s: file holds %q, want %q", name, got, before)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("%s: a temporary file was left behind (%d entries)", name, len(entries))
		}
	}
}

func TestReplaceRefusesLinksAndReadOnlyFiles(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	link := filepath.Join(dir, "link.yaml")
	ro := filepath.Join(dir, "ro.yaml")
	for _, p := range []string{target, ro} {
		if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	if err := os.Chmod(ro, 0o444); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{link: "symlink", ro: "read-only"} {
		err := (Writer{}).Replace(path, []byte("a: 2\n"), []byte("a: 1\n"))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %s", filepath.Base(path), err, want)
		}
	}
	for _, p := range []string{target, ro} {
		if got, _ := os.ReadFile(p); string(got) != "a: 1\n" {
			t.Errorf("%s was changed to %q", filepath.Base(p), got)
		}
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "new.yaml")
	if err := (Writer{}).Create(path, []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := (Writer{}).Create(path, []byte("a: 2\n")); err == nil {
		t.Error("Create replaced an existing file")
	}
	w := Writer{BeforeRename: func(string) error {
		return os.WriteFile(filepath.Join(dir, "sub", "late.yaml"), []byte("theirs\n"), 0o644)
	}}
	if err := w.Create(filepath.Join(dir, "sub", "late.yaml"), []byte("mine\n")); err == nil || !strings.Contains(err.Error(), "appeared") {
		t.Errorf("a file that appeared while writing: got %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "sub", "late.yaml")); string(got) != "theirs\n" {
		t.Errorf("the file that appeared holds %q", got)
	}
	if got, _ := os.ReadFile(path); string(got) != "a: 1\n" {
		t.Errorf("the first file holds %q", got)
	}
}
