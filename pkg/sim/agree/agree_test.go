package agree

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		t.Fatalf("%s=%q: want a whole number", name, s)
	}
	return v
}

// Run judges configurations 0..n-1 of a seeded series on every CPU.
func run(n int, seed uint64, examples int) *Tally {
	verdicts := make([]Verdict, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				verdicts[i] = Judge(Generate(seed, i), seed)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	t := &Tally{}
	for _, v := range verdicts {
		t.Add(v, examples)
	}
	return t
}

// TestAgree is the differential test between check and simulate on a
// seeded sample (ZERODROP_AGREE_N configurations, default 300; the grid
// comes first). bench/agree.sh runs it on ten thousand.
func TestAgree(t *testing.T) {
	n := envInt(t, "ZERODROP_AGREE_N", 300)
	if testing.Short() {
		n = min(n, 60)
	}
	seed := uint64(envInt(t, "ZERODROP_AGREE_SEED", 1))
	tally := run(n, seed, envInt(t, "ZERODROP_AGREE_EXAMPLES", 3))
	t.Logf("seed %d\n%s", seed, tally.Report())
	if tally.InputErrors > 0 {
		t.Errorf("%d generated configurations are not read cleanly: the generator is wrong", tally.InputErrors)
	}
	checkTargets(t, tally)
}
