package fix

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testutil"
)

// TestKilledFixLeavesWholeFiles builds zerodrop, fixes a tree of many files
// and kills the process (SIGKILL, no chance to clean up) at random moments,
// again and again. Every manifest must then be either entirely as it was or
// entirely as a complete fix writes it: never half written, never empty.
// It takes some seconds; -short skips it.
func TestKilledFixLeavesWholeFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build zerodrop with")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "zerodrop")
	build := exec.Command(gobin, "build", "-o", bin, "github.com/zerodrop/zerodrop/cmd/zerodrop")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building zerodrop: %v\n%s", err, out)
	}

	// The tree: many files, each a whole application that needs fixing.
	stream := testutil.SeedStream(t, "naive")
	old := map[string][]byte{}
	const files = 150
	for i := 0; i < files; i++ {
		old[fmt.Sprintf("app%03d.yaml", i)] = bytes.ReplaceAll(stream, []byte("echoserver"), []byte(fmt.Sprintf("app%03d", i)))
	}
	plant := func(dir string) {
		for name, data := range old {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// What a complete fix writes.
	full := filepath.Join(work, "full")
	os.Mkdir(full, 0o755)
	plant(full)
	start := time.Now()
	if out, err := exec.Command(bin, "fix", full).CombinedOutput(); err != nil {
		if e, ok := err.(*exec.ExitError); !ok || e.ExitCode() != 1 {
			t.Fatalf("complete fix: %v\n%s", err, out)
		}
	}
	took := time.Since(start)
	fixed := testutil.ReadTree(t, full)
	changed := 0
	for name, data := range old {
		if fixed[name] != string(data) {
			changed++
		}
	}
	if changed < files {
		t.Fatalf("a complete fix changed %d of %d files; the tree must need fixing", changed, files)
	}

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 12))
	runs, sawOld, sawNew, sawMixed := 8, 0, 0, 0
	for run := 0; run < runs; run++ {
		dir := filepath.Join(work, fmt.Sprintf("run%d", run))
		os.Mkdir(dir, 0o755)
		plant(dir)
		cmd := exec.Command(bin, "fix", dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Anywhere from the start to the end of a complete run.
		time.Sleep(time.Duration(rng.Int64N(int64(took) + 1)))
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		nOld, nNew := 0, 0
		for name, data := range testutil.ReadTree(t, dir) {
			if strings.HasPrefix(name, ".") && strings.Contains(name, ".zerodrop-") {
				continue // a temporary file the kill left; never a manifest
			}
			switch {
			case old[name] != nil && data == string(old[name]):
				nOld++
			case data == fixed[name]:
				nNew++
			default:
				t.Fatalf("run %d: %s is neither as it was nor as fixed (%d bytes)", run, name, len(data))
			}
		}
		if nOld+nNew < files {
			t.Fatalf("run %d: %d files of %d left", run, nOld+nNew, files)
		}
		switch {
		case nNew == 0:
			sawOld++
		case nOld == 0:
			sawNew++
		default:
			sawMixed++
		}
	}
	t.Logf("%d kills within %v: %d before any write, %d after all, %d in the middle", runs, took, sawOld, sawNew, sawMixed)
}
