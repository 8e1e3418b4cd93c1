package testutil

import (
	"bytes"
	"net"
	"strconv"
	"testing"
)

func TestTrees(t *testing.T) {
	files := map[string]string{"a.yaml": "a: 1\n", "deep/er/b.yaml": "b: 2\n"}
	got := ReadTree(t, WriteTree(t, files))
	if len(got) != 2 || got["a.yaml"] != files["a.yaml"] || got["deep/er/b.yaml"] != files["deep/er/b.yaml"] {
		t.Errorf("read back %v", got)
	}
	if len(ReadTree(t, t.TempDir()+"/missing")) != 0 {
		t.Error("a missing dir is not empty")
	}
}

func TestSeedStream(t *testing.T) {
	s := SeedStream(t, "naive")
	if !bytes.HasPrefix(s, []byte("---\n")) || bytes.Count(s, []byte("\nkind: Deployment")) != 1 || !bytes.Contains(s, []byte("kind: Ingress")) {
		t.Errorf("naive stream:\n%s", s)
	}
}

func TestFreePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(FreePort(t)))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}
