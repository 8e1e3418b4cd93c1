package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// nodeEvents picks from the lab's logs (logs/ under the lab's directory)
// what sets the timing of a run behind instance targets and that no API
// object shows: each kube-proxy sync's start and end (kube-proxy runs with
// --v=2) and each container stop the kubelet asked containerd for (SIGTERM
// follows at once). It returns them between from and to, in time order,
// one line each: time, source, message.
func nodeEvents(logs string, from, to time.Time) ([]string, error) {
	type ev struct {
		t    time.Time
		line string
	}
	var evs []ev
	add := func(t time.Time, src, msg string) {
		if !t.Before(from) && !t.After(to) {
			evs = append(evs, ev{t, t.UTC().Format("15:04:05.000000") + " " + src + " " + msg})
		}
	}
	// kube-proxy: klog lines "I1207 20:46:11.751071   27691 proxier.go:655] "Syncing iptables rules" ipFamily="IPv4" …".
	err := scanLines(filepath.Join(logs, "kube-proxy.log"), func(l string) {
		m := klogLine.FindStringSubmatch(l)
		if m == nil || !strings.Contains(l, `ipFamily="IPv4"`) {
			return
		}
		t, err := time.ParseInLocation("2006 0102 15:04:05.000000", fmt.Sprintf("%d %s %s", from.UTC().Year(), m[1], m[2]), time.UTC)
		if err != nil {
			return
		}
		switch {
		case strings.Contains(m[3], `"Syncing iptables rules"`):
			add(t, "kube-proxy", "sync starts")
		case strings.Contains(m[3], `"SyncProxyRules complete"`):
			add(t, "kube-proxy", "sync ends"+elapsed.FindString(m[3]))
		}
	})
	if err != nil {
		return nil, err
	}
	// containerd: logrus lines time="2026-12-07T20:54:45.296711132Z" level=info msg="StopContainer for \"6ea9…\" with timeout 30 (s)".
	nodes, _ := filepath.Glob(filepath.Join(logs, "containerd*.log"))
	for _, f := range nodes {
		node := "node" + strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "containerd"), ".log")
		err := scanLines(f, func(l string) {
			m := stopLine.FindStringSubmatch(l)
			if m == nil {
				return
			}
			if t, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
				add(t, node, "stops container "+m[2]+" (SIGTERM)")
			}
		})
		if err != nil {
			return nil, err
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].t.Before(evs[j].t) })
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.line
	}
	return out, nil
}

var (
	klogLine = regexp.MustCompile(`^[IWE](\d{4}) (\d\d:\d\d:\d\d\.\d{6}) +\d+ [^\]]+\] (.*)$`)
	elapsed  = regexp.MustCompile(` elapsed="[^"]*"`)
	stopLine = regexp.MustCompile(`^time="([^"]+)".*msg="StopContainer for \\"([0-9a-f]{12})[0-9a-f]*\\" with timeout`)
)

func scanLines(path string, fn func(string)) error {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fn(sc.Text())
	}
	return sc.Err()
}
