package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/zerodrop/zerodrop/internal/lab"
)

// runBand recomputes simulate's band for runs the lab measured before, from
// their summaries (summary.json of `labctl run`): the same manifests,
// profile, event, rate, keep-alive share and connections, with the model
// as it is now. It needs no lab, so a model change can be held against
// every run measured so far.
func runBand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("band", flag.ExitOnError)
	manifests := fs.String("manifests", "tools/lab/manifests", "directory of configurations (one directory each) and profile.yaml")
	profile := fs.String("profile", "", "timing profile (default: MANIFESTS/profile.yaml)")
	runs := fs.Int("runs", 200, "simulate's Monte Carlo runs per result")
	warmup := fs.Duration("warmup", 3*time.Second, "traffic before the event, as the runs had it")
	settle := fs.Duration("settle", 5*time.Second, "traffic after the event settled, as the runs had it")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: labctl band [flags] SUMMARY.json...")
		fs.PrintDefaults()
	}
	fs.Parse(args)
	if fs.NArg() == 0 {
		fs.Usage()
		return exitCode(2)
	}
	if *profile == "" {
		*profile = filepath.Join(*manifests, "profile.yaml")
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "summary\tconfig\tevent\trps\tmeasured\tbefore p5–p50–p95\tnow p5–p50–p95\tinside\tkeep-alive\tlb conns\trequest ms (sigma)\tnew conns at stop\tsettled s (now sim p50)")
	groups := map[string]*bandStats{}
	var order []string
	all := &bandStats{}
	for _, file := range fs.Args() {
		results, err := readResults(file)
		if err != nil {
			return err
		}
		for i, r := range results {
			if r.Error != "" {
				continue
			}
			jsonl := strings.Replace(r.Files, "{jsonl,html,json,lb.log,haproxy.log}", "jsonl", 1)
			rps := r.RPS
			if rps == 0 {
				if rps, err = rateOf(jsonl); err != nil {
					return fmt.Errorf("%s: result %d: %w", file, i+1, err)
				}
			}
			sc, err := lab.FromManifests(ctx, filepath.Join(*manifests, r.Config), *profile)
			if err != nil {
				return err
			}
			p, err := labParams(sc.Case.Params, r.Event, rps, *warmup, *settle)
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", file, i+1, err)
			}
			p.KeepAlive = r.KeepAlive
			if r.Conns > 0 {
				p.Conns = r.Conns
			}
			med, sig, err := withDurations(&p, jsonl)
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", file, i+1, err)
			}
			// Not given to simulate: see stopBurst.
			burst, err := stopBurst(jsonl, stopWindow)
			if err != nil {
				return fmt.Errorf("%s: result %d: %w", file, i+1, err)
			}
			b, settled, err := predict(p, *runs)
			if err != nil {
				return err
			}
			in := float64(r.Failed) >= b.P5 && float64(r.Failed) <= b.P95
			key := fmt.Sprintf("%s %s %g/s", r.Config, r.Event, rps)
			if groups[key] == nil {
				groups[key] = &bandStats{}
				order = append(order, key)
			}
			groups[key].add(float64(r.Failed), b)
			all.add(float64(r.Failed), b)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%g\t%d\t%.0f–%.0f–%.0f\t%.0f–%.0f–%.0f\t%v\t%.3f\t%.1f\t%.2f (%.2f)\t%.0f\t%.1f (%.1f)\n", file, r.Config, r.Event, rps, r.Failed,
				r.Sim.P5, r.Sim.P50, r.Sim.P95, b.P5, b.P50, b.P95, in, r.KeepAlive, r.Conns, med*1000, sig, burst, r.SettledS, settled)
		}
	}
	tw.Flush()
	sort.Strings(order)
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nruns\tinside\tmean p5–p95 width\tbelow p50\tat p50\tabove p50\tmean distance to p50")
	for _, k := range order {
		groups[k].print(tw, k)
	}
	all.print(tw, "all")
	tw.Flush()
	fmt.Printf("%d of %d inside\n", all.inside, all.n)
	return nil
}

// bandStats sums up how measured counts sit in their bands: a model that
// only widens its bands gains inside counts but not centring (the measured
// count as often below the median as above it).
type bandStats struct {
	n, inside, below, at, above int
	width, distance             float64
}

func (g *bandStats) add(measured float64, b Band) {
	g.n++
	if measured >= b.P5 && measured <= b.P95 {
		g.inside++
	}
	g.width += b.P95 - b.P5
	g.distance += math.Abs(measured - b.P50)
	switch {
	case measured < b.P50:
		g.below++
	case measured > b.P50:
		g.above++
	default:
		g.at++
	}
}

func (g *bandStats) print(w io.Writer, name string) {
	n := float64(max(g.n, 1))
	fmt.Fprintf(w, "%s\t%d of %d\t%.1f\t%d\t%d\t%d\t%.1f\n", name, g.inside, g.n, g.width/n, g.below, g.at, g.above, g.distance/n)
}

// rateOf reads the request rate from the meta line of verify's JSON lines.
func rateOf(jsonl string) (float64, error) {
	f, err := os.Open(jsonl)
	if err != nil {
		return 0, fmt.Errorf("no rps in the summary and %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return 0, fmt.Errorf("%s: empty", jsonl)
	}
	var meta struct {
		Type string  `json:"type"`
		Rate float64 `json:"rate"`
	}
	if err := json.Unmarshal(sc.Bytes(), &meta); err != nil || meta.Type != "meta" || meta.Rate <= 0 {
		return 0, fmt.Errorf("%s: first line is not verify's meta line with a rate", jsonl)
	}
	return meta.Rate, nil
}

// readResults reads a summary.json that labctl run wrote.
func readResults(file string) ([]Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var results []Result
	if err := json.Unmarshal(data, &results); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return results, nil
}
