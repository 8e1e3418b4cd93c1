package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// runTimeline prints, for runs measured before (their summary.json), the
// timeline of each event's first stop that decides a count behind
// instance targets: when the pods' endpoint changes reached verify's watch
// (in one EndpointSlice update or not), when kube-proxy's syncs after the
// first SIGTERM ran, when the failed requests came (before the first
// sync's end, before the second's, after; refused at once or hung), and
// how many connections HAProxy opened to the targets around the stop,
// when the first request hung, and when HAProxy first answered 200 in the
// run (before docs/lab.md's tenth round, HAProxy purged idle connections
// every 5 s from about then). It needs CONFIG-EVENT.nodes.log, .conns.tsv
// and .haproxy.log next to verify's JSON
// lines (labctl run writes them); a run without them is shown without
// those columns. docs/lab.md (ninth round) is what it was written for.
func runTimeline(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("timeline", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: labctl timeline SUMMARY.json...")
		fs.PrintDefaults()
	}
	fs.Parse(args)
	if fs.NArg() == 0 {
		fs.Usage()
		return exitCode(2)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tmeasured\tSIGTERMs s\tendpoint changes\tsync 1 s\tsync 2 s\tfailed before sync 1 / sync 2 / after\thung\tfirst hung s\tHAProxy connects −0.25–0.5 s / 0.5–1.5 s\tHAProxy's first 200 s")
	var sum [2]struct{ runs, failed int }
	for _, file := range fs.Args() {
		results, err := readResults(file)
		if err != nil {
			return err
		}
		for i, r := range results {
			if r.Error != "" {
				continue
			}
			tl, err := readTimeline(strings.Replace(r.Files, ".{jsonl,html,json,lb.log,haproxy.log}", "", 1))
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", file, i+1, err)
			}
			if tl == nil {
				continue
			}
			name := fmt.Sprintf("%s %s %s", filepath.Dir(file), r.Config, r.Event)
			fmt.Fprintf(tw, "%s\t%d\t%s\n", name, r.Failed, tl)
			k := 0
			if tl.oneUpdate {
				k = 1
			}
			sum[k].runs++
			sum[k].failed += int(r.Failed)
		}
	}
	tw.Flush()
	fmt.Printf("\nendpoint changes in one update: %d runs, %d failed; in two: %d runs, %d failed\n", sum[1].runs, sum[1].failed, sum[0].runs, sum[0].failed)
	return nil
}

// timeline is one run's first stop; times are seconds after the first
// SIGTERM (or, without the nodes' log, after the first pod began
// terminating).
type timeline struct {
	sigterms     []float64
	epGap        float64 // between the first and last endpoint change the watch saw at the stop
	oneUpdate    bool    // they came within a millisecond: one EndpointSlice update
	syncs        [][2]float64
	failed       [3]int // before the first sync's end, before the second's, after
	hung         int
	firstHung    float64 // when the first hung request was sent
	connects     [2]int  // HAProxy's connects to targets in [−0.25, 0.5) and [0.5, 1.5) s
	haveConnects bool
	firstOK      float64 // HAProxy's first 200 of the run (its log)
	haveFirstOK  bool
}

func (t *timeline) String() string {
	f := func(xs []float64) string {
		var s []string
		for _, x := range xs {
			s = append(s, strconv.FormatFloat(x, 'f', 3, 64))
		}
		return strings.Join(s, ", ")
	}
	ep := "one update"
	if !t.oneUpdate {
		ep = fmt.Sprintf("second %.0f ms later", t.epGap*1000)
	}
	sync := func(i int) string {
		if i >= len(t.syncs) {
			return "—"
		}
		return fmt.Sprintf("%.3f–%.3f", t.syncs[i][0], t.syncs[i][1])
	}
	conns := "—"
	if t.haveConnects {
		conns = fmt.Sprintf("%d / %d", t.connects[0], t.connects[1])
	}
	hung, first := "—", "—"
	if t.hung > 0 {
		hung = strconv.FormatFloat(t.firstHung, 'f', 3, 64)
	}
	if t.haveFirstOK {
		first = strconv.FormatFloat(t.firstOK, 'f', 3, 64)
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s\t%d / %d / %d\t%d\t%s\t%s\t%s", f(t.sigterms), ep, sync(0), sync(1), t.failed[0], t.failed[1], t.failed[2], t.hung, hung, conns, first)
}

// readTimeline reads base.jsonl, base.nodes.log, base.conns.tsv and
// base.haproxy.log. It
// returns nil for a run in which no pod terminated.
func readTimeline(base string) (*timeline, error) {
	r, err := readRun(base + ".jsonl")
	if err != nil {
		return nil, err
	}
	if len(r.stops) == 0 {
		return nil, nil
	}
	at := func(ns int64) time.Time { return r.start.Add(time.Duration(ns)) }
	t0 := at(r.stops[0])
	// The wall-clock logs carry only the time of day: the date is the one
	// that puts it nearest to verify's start.
	clock := func(hms string) (time.Time, bool) {
		d, err := time.ParseInLocation("15:04:05.999999999", hms, time.UTC)
		if err != nil {
			return time.Time{}, false
		}
		y, m, day := r.start.UTC().Date()
		c := time.Date(y, m, day, d.Hour(), d.Minute(), d.Second(), d.Nanosecond(), time.UTC)
		switch {
		case c.Sub(r.start) > 12*time.Hour:
			c = c.AddDate(0, 0, -1)
		case r.start.Sub(c) > 12*time.Hour:
			c = c.AddDate(0, 0, 1)
		}
		return c, true
	}
	tl := &timeline{}
	var syncStart []time.Time
	var syncs [][2]time.Time
	err = scanLines(base+".nodes.log", func(l string) {
		f := strings.Fields(l)
		if len(f) < 3 {
			return
		}
		c, ok := clock(f[0])
		if !ok {
			return
		}
		switch {
		case strings.Contains(l, "(SIGTERM)"):
			tl.sigterms = append(tl.sigterms, 0)
			if len(tl.sigterms) == 1 {
				t0 = c
			}
			tl.sigterms[len(tl.sigterms)-1] = c.Sub(t0).Seconds()
		case strings.Contains(l, "kube-proxy sync starts"):
			syncStart = append(syncStart, c)
		case strings.Contains(l, "kube-proxy sync ends") && len(syncStart) > 0:
			syncs = append(syncs, [2]time.Time{syncStart[len(syncStart)-1], c})
		}
	})
	if err != nil {
		return nil, err
	}
	// The syncs that began after the first pod began terminating.
	for _, s := range syncs {
		if !s[0].Before(at(r.stops[0])) {
			tl.syncs = append(tl.syncs, [2]float64{s[0].Sub(t0).Seconds(), s[1].Sub(t0).Seconds()})
		}
	}
	// The endpoint changes of the stop: those the watch saw within a
	// second of it.
	var ep []int64
	for _, e := range r.epTerm {
		if e >= r.stops[0] && e < r.stops[0]+int64(time.Second) {
			ep = append(ep, e)
		}
	}
	if len(ep) > 0 {
		tl.epGap = float64(ep[len(ep)-1]-ep[0]) / 1e9
		tl.oneUpdate = len(ep) > 1 && ep[len(ep)-1]-ep[0] < int64(time.Millisecond)
	}
	for _, s := range r.spans {
		if s.served {
			continue
		}
		// A failure counts where its request was sent.
		x := at(s.from).Sub(t0).Seconds()
		switch {
		case len(tl.syncs) > 0 && x < tl.syncs[0][1]:
			tl.failed[0]++
		case len(tl.syncs) > 1 && x < tl.syncs[1][1]:
			tl.failed[1]++
		default:
			tl.failed[2]++
		}
		if !s.ok {
			if tl.hung == 0 || x < tl.firstHung {
				tl.firstHung = x
			}
			tl.hung++
		}
	}
	type sample struct {
		t        time.Time
		connects int
	}
	var series []sample
	err = scanLines(base+".conns.tsv", func(l string) {
		f := strings.Fields(l)
		if len(f) < 2 {
			return
		}
		c, ok := clock(f[0])
		n, err := strconv.Atoi(f[1])
		if ok && err == nil {
			series = append(series, sample{c, n})
		}
	})
	if err != nil {
		return nil, err
	}
	// Connects between two moments, from the samples (every 0.25 s)
	// nearest before each.
	upTo := func(x float64) (int, bool) {
		m := t0.Add(time.Duration(x * float64(time.Second)))
		n, ok := 0, false
		for _, s := range series {
			if s.t.After(m) {
				break
			}
			n, ok = s.connects, true
		}
		return n, ok
	}
	// HAProxy's first 200: its HTTP log line is "client [day/month/year:
	// hh:mm:ss.mmm] frontend backend/server timers status ...".
	err = scanLines(base+".haproxy.log", func(l string) {
		f := strings.Fields(l)
		if tl.haveFirstOK || len(f) < 6 || f[5] != "200" || !strings.HasPrefix(f[1], "[") {
			return
		}
		i := strings.IndexByte(f[1], ':')
		if i < 0 {
			return
		}
		if c, ok := clock(strings.TrimSuffix(f[1][i+1:], "]")); ok {
			tl.firstOK, tl.haveFirstOK = c.Sub(t0).Seconds(), true
		}
	})
	if err != nil {
		return nil, err
	}
	a, okA := upTo(-0.25)
	b, okB := upTo(0.5)
	c, okC := upTo(1.5)
	if okA && okB && okC {
		tl.connects, tl.haveConnects = [2]int{b - a, c - b}, true
	}
	return tl, nil
}
