package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readTimeline puts a scale-in's failures against kube-proxy's syncs after
// the first SIGTERM (from the nodes' log, whose times carry no date: a run
// across midnight still lines up), tells one EndpointSlice update from two
// by the watch's times, counts hung failures and times the first, reads
// HAProxy's connects around the stop from its 0.25 s samples and its first
// 200 from its log.
func TestReadTimeline(t *testing.T) {
	start := time.Date(2026, 12, 7, 23, 59, 58, 0, time.UTC) // the stop comes after midnight
	stop := start.Add(3 * time.Second)
	for _, gap := range []time.Duration{20 * time.Microsecond, 70 * time.Millisecond} {
		dir := t.TempDir()
		base := filepath.Join(dir, "alb-naive-scale-in")
		var b strings.Builder
		fmt.Fprintf(&b, `{"type":"meta","schemaVersion":"1","start":%q,"rate":500}`+"\n", start.Format(time.RFC3339Nano))
		ev := func(at time.Time, kind, reason string) {
			fmt.Fprintf(&b, `{"type":"event","t":%q,"kind":%q,"object":"pod/x","reason":%q}`+"\n", at.Format(time.RFC3339Nano), kind, reason)
		}
		ev(stop, "pod", "terminating")
		ev(stop, "pod", "terminating")
		ev(stop.Add(40*time.Millisecond), "endpoint", "endpoint-terminating")
		ev(stop.Add(40*time.Millisecond+gap), "endpoint", "endpoint-terminating")
		req := func(sent time.Duration, lat time.Duration, class string) {
			at := stop.Add(sent).Sub(start).Nanoseconds()
			fmt.Fprintf(&b, `{"type":"request","seq":0,"atNs":%d,"delayNs":0,"latencyNs":%d,"status":502,"class":%q}`+"\n", at, lat.Nanoseconds(), class)
		}
		req(-time.Second, time.Millisecond, "ok")
		req(60*time.Millisecond, time.Millisecond, "http_502") // refused before the first sync ended
		req(600*time.Millisecond, 4*time.Second, "http_502")   // hung, before the second
		req(2*time.Second, time.Millisecond, "http_502")       // after both
		os.WriteFile(base+".jsonl", []byte(b.String()), 0o644)
		clock := func(d time.Duration) string { return stop.Add(d).UTC().Format("15:04:05.000000") }
		nodes := []string{
			clock(-2*time.Second) + " kube-proxy sync starts", // before the stop: not one of its syncs
			clock(-2*time.Second+40*time.Millisecond) + ` kube-proxy sync ends elapsed="40ms"`,
			clock(10*time.Millisecond) + " node1 stops container 27d20d68a3a6 (SIGTERM)",
			clock(12*time.Millisecond) + " node1 stops container ecbf5dd248c7 (SIGTERM)",
			clock(50*time.Millisecond) + " kube-proxy sync starts",
			clock(100*time.Millisecond) + ` kube-proxy sync ends elapsed="50ms"`,
			clock(1100*time.Millisecond) + " kube-proxy sync starts",
			clock(1140*time.Millisecond) + ` kube-proxy sync ends elapsed="40ms"`,
		}
		os.WriteFile(base+".nodes.log", []byte(strings.Join(nodes, "\n")+"\n"), 0o644)
		var c strings.Builder
		c.WriteString("time\tconnects\treuses\tconns\tused\tsessions\n")
		for i, n := 0, 20; i < 20; i++ {
			d := time.Duration(i-8) * 250 * time.Millisecond // −2 s … 2.75 s
			switch {
			case d == 250*time.Millisecond:
				n += 3 // between −0.25 and 0.5 s
			case d == time.Second:
				n += 5 // between 0.5 and 1.5 s
			}
			fmt.Fprintf(&c, "%s\t%d\t0\t2\t0\t1\n", stop.Add(d+time.Millisecond).UTC().Format("15:04:05.000"), n)
		}
		os.WriteFile(base+".conns.tsv", []byte(c.String()), 0o644)
		hap := func(d time.Duration, status string) string {
			return "10.201.1.1:40000 [" + stop.Add(d).UTC().Format("02/Jan/2006:15:04:05.000") + "] lb tg/t1 0/0/0/0/0 " + status + " 224 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\""
		}
		os.WriteFile(base+".haproxy.log", []byte(strings.Join([]string{
			"[WARNING]  (28594) : Server tg/t1 is UP/READY (leaving forced maintenance).",
			hap(-4300*time.Millisecond, "503"),
			hap(-4200*time.Millisecond, "200"), // the first 200
			hap(-4100*time.Millisecond, "200"),
		}, "\n")+"\n"), 0o644)

		tl, err := readTimeline(base)
		if err != nil {
			t.Fatal(err)
		}
		one := gap < time.Millisecond
		if tl.oneUpdate != one {
			t.Errorf("gap %v: one update %v, want %v", gap, tl.oneUpdate, one)
		}
		if len(tl.sigterms) != 2 || tl.sigterms[0] != 0 || abs(tl.sigterms[1]-0.002) > 1e-6 {
			t.Errorf("SIGTERMs %v, want 0 and 0.002 s", tl.sigterms)
		}
		if len(tl.syncs) != 2 || abs(tl.syncs[0][0]-0.04) > 1e-6 || abs(tl.syncs[1][1]-1.13) > 1e-6 {
			t.Errorf("syncs %v, want 0.04–0.09 and 1.09–1.13 s after the first SIGTERM", tl.syncs)
		}
		if tl.failed != [3]int{1, 1, 1} || tl.hung != 1 {
			t.Errorf("failed %v (hung %d), want one in each phase, one hung", tl.failed, tl.hung)
		}
		if abs(tl.firstHung-0.59) > 1e-6 {
			t.Errorf("first hung at %v s, want 0.59 s after the first SIGTERM", tl.firstHung)
		}
		if !tl.haveFirstOK || abs(tl.firstOK+4.21) > 1e-6 {
			t.Errorf("HAProxy's first 200 at %v s (%v), want −4.21 s, before midnight", tl.firstOK, tl.haveFirstOK)
		}
		if !tl.haveConnects || tl.connects != [2]int{3, 5} {
			t.Errorf("connects %v (%v), want 3 and 5", tl.connects, tl.haveConnects)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
