package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLab brings the real-node lab up (tools/lab/lab.sh up), rolls the
// seed's naive Deployment (behind ip targets: alb-ip-naive) and recommended
// configuration behind the emulated ALB while
// zerodrop verify sends traffic, and takes the lab down again, checking
// that nothing is left behind. The naive rollout must drop requests, the
// recommended one none.
//
// It runs only with ZERODROP_LAB=1, as root, on a Debian machine where
// tools/lab/lab.sh build has run (it takes minutes, see docs/lab.md).
func TestLab(t *testing.T) {
	if os.Getenv("ZERODROP_LAB") != "1" {
		t.Skip("set ZERODROP_LAB=1 to run the real-node lab (root, Debian, after tools/lab/lab.sh build)")
	}
	if os.Geteuid() != 0 {
		t.Skip("the lab needs root (network bridges, containerd, kubelet)")
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("the lab installs Debian packages with apt-get, which this machine lacks")
	}
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repo, "tools/lab/lab.sh")
	cache := os.Getenv("ZERODROP_LAB_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache/zerodrop-lab")
	}
	if _, err := os.Stat(filepath.Join(cache, "images/echoserver.tar")); err != nil {
		t.Skipf("no lab build in %s: run tools/lab/lab.sh build first", cache)
	}
	labDir := os.Getenv("ZERODROP_LAB_DIR")
	if labDir == "" {
		labDir = "/var/lib/zerodrop-lab"
	}
	if _, err := os.Stat(filepath.Join(labDir, "run")); err == nil {
		t.Skipf("a lab is already up in %s: take it down first (tools/lab/lab.sh down)", labDir)
	}

	sh := func(timeout time.Duration, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, script, args...).CombinedOutput()
		return string(out), err
	}
	start := time.Now()
	out, err := sh(3*time.Minute, "up")
	if err != nil {
		t.Logf("lab up:\n%s", out)
		if o, err := sh(2*time.Minute, "down"); err != nil {
			t.Logf("lab down:\n%s", o)
		}
		t.Fatalf("lab up: %v", err)
	}
	t.Logf("lab up in %s", time.Since(start).Round(100*time.Millisecond))
	downDone := false
	down := func() {
		if downDone {
			return
		}
		downDone = true
		start := time.Now()
		out, err := sh(3*time.Minute, "down")
		if err != nil {
			t.Errorf("lab down left something behind or failed: %v\n%s", err, out)
		}
		t.Logf("lab down in %s", time.Since(start).Round(100*time.Millisecond))
		if l, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(l), "zdlab") {
			t.Errorf("a lab bridge is left:\n%s", l)
		}
		if p, _ := exec.Command("pgrep", "-af", labDir).Output(); len(p) > 0 {
			t.Errorf("lab processes are left:\n%s", p)
		}
	}
	defer down()

	kubeconfig := filepath.Join(labDir, "kubeconfig")
	b, _ := os.ReadFile(filepath.Join(labDir, "bindir"))
	outDir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	err = runMatrix(ctx, []string{"--kubeconfig", kubeconfig, "--bin", filepath.Join(cache, "bin"),
		"--kubectl", filepath.Join(strings.TrimSpace(string(b)), "kubectl"),
		"--manifests", filepath.Join(repo, "tools/lab/manifests"), "--out", outDir,
		"--configs", "alb-ip-naive,alb-recommended", "--events", "rollout", "--runs", "50"})
	data, rerr := os.ReadFile(filepath.Join(outDir, "summary.json"))
	if rerr != nil {
		t.Fatalf("matrix: %v; no summary: %v", err, rerr)
	}
	var results []Result
	if err := json.Unmarshal(data, &results); err != nil {
		t.Fatal(err)
	}
	txt, _ := os.ReadFile(filepath.Join(outDir, "summary.txt"))
	t.Logf("matrix (%v):\n%s", err, txt)
	if len(results) != 2 {
		t.Fatalf("%d results, want 2", len(results))
	}
	for _, r := range results {
		if r.Error != "" {
			t.Fatalf("%s %s: %s", r.Config, r.Event, r.Error)
		}
		if r.Requests < 100 {
			t.Errorf("%s %s: only %d requests", r.Config, r.Event, r.Requests)
		}
	}
	if n := results[0]; n.Failed == 0 {
		t.Errorf("naive rollout behind the ALB (ip targets, no preStop): 0 failed requests of %d; want some", n.Requests)
	}
	if r := results[1]; r.Failed != 0 {
		t.Errorf("recommended rollout behind the ALB: %d failed requests (%v); want 0", r.Failed, r.Errors)
	}
	down()
}
