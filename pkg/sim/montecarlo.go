package sim

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/zerodrop/zerodrop/internal/workpool"
)

// Simulate runs one scenario with one seed. The same parameters and seed
// give the same Run, bit for bit.
func Simulate(p Params, seed uint64) (*Run, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return newSim(p, seed).runAll(), nil
}

// RunSeed is the seed of run i of a Monte Carlo series started with seed:
// run 0 uses seed itself, so a single run and the first of many agree.
func RunSeed(seed uint64, i int) uint64 {
	if i == 0 {
		return seed
	}
	// splitmix64 of (seed, i): independent streams for each run.
	z := seed + uint64(i)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Stats summarises one number over the runs of a Monte Carlo series.
type Stats struct {
	Min float64 `json:"min"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Series is the outcome of a Monte Carlo series: the first run in full,
// the first run that failed requests in full (the example a report shows),
// the causes of failure over every run, and the spread of the key numbers
// over every run.
type Series struct {
	Runs  int
	First *Run
	// Example is the run with the lowest index that failed a request
	// (First when it did, or when no run did); ExampleIndex is its index.
	Example      *Run
	ExampleIndex int
	// Causes sums every run's causes: counts over all runs, the window
	// from the earliest to the latest failure, and in how many runs each
	// cause appeared.
	Causes []SeriesCause
	// Failed, Duration and MinHealthy over the runs. Duration counts a
	// run whose event never finished as its full length.
	Failed, Duration, MinHealthy, PeakPods Stats
	// ZeroDropRuns counts runs that failed no request.
	ZeroDropRuns int
	// Unfinished counts runs whose event never finished.
	Unfinished int
	// DeadlineRuns counts runs that exceeded the progress deadline.
	DeadlineRuns int
	// CappedRuns counts runs stopped at MaxVirtual.
	CappedRuns int
}

// SeriesCause is one cause of failure over the runs of a series.
type SeriesCause struct {
	CauseCount
	// Runs counts the runs in which the cause failed a request, and
	// FirstRun is the lowest index among them.
	Runs     int
	FirstRun int
}

// MonteCarlo runs the scenario n times with seeds RunSeed(seed, i), on up
// to workers goroutines (GOMAXPROCS when workers ≤ 0). The result depends
// only on the parameters, the seed and n, not on the number of workers.
func MonteCarlo(p Params, seed uint64, n, workers int) (*Series, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	n = max(n, 1)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	type summary struct {
		failed, dur, minH, peak float64
		done, deadline, capped  bool
	}
	sums := make([]summary, n)
	causes := make([][]CauseCount, n)
	var first, example *Run
	exampleIdx := n
	var mu sync.Mutex
	workpool.Each(n, workers, func(i int) error {
		r := newSim(p, RunSeed(seed, i)).runAll()
		d := r.Duration()
		if d < 0 {
			d = r.End - r.EventAt
		}
		sums[i] = summary{failed: float64(r.Failed()), dur: d, minH: float64(r.MinHealthy),
			peak: float64(r.PeakPods), done: r.Done >= 0, deadline: r.DeadlineExceeded, capped: r.Capped}
		causes[i] = r.Causes
		// Only the first run and the first failing one are kept
		// whole.
		mu.Lock()
		if i == 0 {
			first = r
		}
		if r.Failed() > 0 && i < exampleIdx {
			example, exampleIdx = r, i
		}
		mu.Unlock()
		return nil
	})
	if example == nil {
		example, exampleIdx = first, 0
	}
	s := &Series{Runs: n, First: first, Example: example, ExampleIndex: exampleIdx}
	at := map[Cause]int{}
	for i, cs := range causes {
		for _, c := range cs {
			j, ok := at[c.Cause]
			if !ok {
				j = len(s.Causes)
				at[c.Cause] = j
				s.Causes = append(s.Causes, SeriesCause{CauseCount: CauseCount{Cause: c.Cause, Class: c.Class, From: c.From, To: c.To}, FirstRun: i})
			}
			a := &s.Causes[j]
			a.Count += c.Count
			a.Runs++
			a.From, a.To = min(a.From, c.From), max(a.To, c.To)
		}
	}
	slices.SortStableFunc(s.Causes, func(a, b SeriesCause) int { return int(b.Count - a.Count) })
	col := func(f func(summary) float64) Stats {
		v := make([]float64, n)
		for i, x := range sums {
			v[i] = f(x)
		}
		return stats(v)
	}
	s.Failed = col(func(x summary) float64 { return x.failed })
	s.Duration = col(func(x summary) float64 { return x.dur })
	s.MinHealthy = col(func(x summary) float64 { return x.minH })
	s.PeakPods = col(func(x summary) float64 { return x.peak })
	for _, x := range sums {
		if x.failed == 0 {
			s.ZeroDropRuns++
		}
		if !x.done {
			s.Unfinished++
		}
		if x.deadline {
			s.DeadlineRuns++
		}
		if x.capped {
			s.CappedRuns++
		}
	}
	return s, nil
}

// stats computes nearest-rank percentiles.
func stats(v []float64) Stats {
	slices.Sort(v)
	pct := func(q float64) float64 {
		if len(v) == 0 {
			return 0
		}
		i := int(math.Ceil(q/100*float64(len(v)))) - 1
		return round3(v[max(0, min(i, len(v)-1))])
	}
	return Stats{Min: round3(v[0]), P50: pct(50), P95: pct(95), P99: pct(99), Max: round3(v[len(v)-1])}
}
