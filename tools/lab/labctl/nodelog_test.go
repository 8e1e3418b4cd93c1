package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNodeEvents(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kube-proxy.log", `I1207 20:46:11.751071   27691 proxier.go:655] "Syncing iptables rules" ipFamily="IPv4" fullSync=true
I1207 20:46:18.612874   27691 proxier.go:655] "Syncing iptables rules" ipFamily="IPv4" fullSync=false
I1207 20:46:18.654127   27691 proxier.go:649] "SyncProxyRules complete" ipFamily="IPv4" elapsed="41.322695ms"
I1207 20:46:18.660000   27691 proxier.go:655] "Syncing iptables rules" ipFamily="IPv6" fullSync=false
W1207 20:46:18.700000   27691 other.go:1] "something else"
not a klog line
`)
	write("containerd2.log", `time="2026-12-07T20:46:18.580711132Z" level=info msg="StopContainer for \"6ea98a354ad26a9830f57201c57e5599bfebb81b3d7e86408955b9fee77bec8a\" with timeout 30 (s)"
time="2026-12-07T20:46:18.617322945Z" level=info msg="StopContainer for \"6ea98a354ad26a9830f57201c57e5599bfebb81b3d7e86408955b9fee77bec8a\" returns successfully"
`)
	from := time.Date(2026, 12, 7, 20, 46, 15, 0, time.UTC)
	got, err := nodeEvents(dir, from, from.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"20:46:18.580711 node2 stops container 6ea98a354ad2 (SIGTERM)",
		"20:46:18.612874 kube-proxy sync starts",
		`20:46:18.654127 kube-proxy sync ends elapsed="41.322695ms"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// No logs (a lab from before kube-proxy logged its syncs): nothing, no error.
	if got, err := nodeEvents(t.TempDir(), from, from.Add(time.Second)); err != nil || len(got) != 0 {
		t.Errorf("empty logs: %v, %v", got, err)
	}
}
