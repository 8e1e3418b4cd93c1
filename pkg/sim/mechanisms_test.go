package sim

import (
	"testing"

	"github.com/zerodrop/zerodrop/pkg/timing"
)

func causeCount(r *Run, c Cause) int64 {
	for _, cc := range r.Causes {
		if cc.Cause == c {
			return cc.Count
		}
	}
	return 0
}

// With externalTrafficPolicy: Local a node leaves the load balancer only
// when its health check fails: a preStop shorter than that drops requests
// sent to the node, one longer than endpoint propagation plus the failing
// checks plus propagation drops none.
func TestLocalTrafficWaitsForNodeHealthCheck(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.NLB, timing.TargetInstance
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.LocalTraffic = true
	p.HealthInterval, p.HealthyThreshold, p.UnhealthyThreshold = 10, 3, 3
	p.Replicas, p.Nodes, p.Event, p.ScaleTo = 6, 6, ScaleIn, 3
	p.PreStop, p.Grace = 10, 60
	var short int64
	for seed := uint64(1); seed <= 4; seed++ {
		short += mustRun(t, p, seed).Failed()
	}
	if short == 0 {
		t.Errorf("preStop 10 s behind a Local NLB: no failure, want requests lost while nodes still pass their health check")
	}
	// Scale-in empties whole nodes only if pods share nodes; what matters is
	// that with a preStop above the stop-sending time nothing fails.
	n := timing.Default().Compute(timing.Input{LB: timing.NLB, TargetType: timing.TargetInstance, LocalTraffic: true,
		Interval: timing.Value{Seconds: 10}, UnhealthyThreshold: timing.Value{Seconds: 3}})
	p.PreStop, p.Grace = float64(n.RequiredPreStop.High), float64(n.RequiredPreStop.High+60)
	for seed := uint64(1); seed <= 4; seed++ {
		if r := mustRun(t, p, seed); r.Failed() > 0 {
			t.Errorf("seed %d: preStop %v s (check's required preStop) behind a Local NLB failed %d requests: %+v", seed, p.PreStop, r.Failed(), r.Causes)
		}
	}
}

// An NLB keeps established flows past the deregistration delay unless
// connection termination is on; then it resets them (never a 502).
func TestNLBConnectionTermination(t *testing.T) {
	p := Default()
	p.LB, p.TargetType = timing.NLB, timing.TargetIP
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Gate = true
	p.DeregistrationDelay = 2
	p.PreStop, p.Grace = 200, 300
	p.DurationMedian, p.DurationSigma, p.DurationMax = 5, 0.5, 30
	p.Event = ScaleIn
	p.ScaleTo = 1
	off := mustRun(t, p, 1)
	if n := causeCount(off, CauseDeregEnd); n != 0 {
		t.Errorf("connection termination off: %d requests cut at the end of the delay, want 0", n)
	}
	p.ConnTermination = true
	on := mustRun(t, p, 1)
	if causeCount(on, CauseDeregEnd) == 0 {
		t.Fatalf("connection termination on, delay 2 s, 5 s requests: nothing cut; causes %+v", on.Causes)
	}
	if on.Failures[Status502] != 0 || on.Failures[Reset] == 0 {
		t.Errorf("NLB connection termination: failures %v, want resets and no 502", on.Failures)
	}
}

// A grace period shorter than preStop: the kubelet sends SIGTERM when the
// grace period ends and SIGKILL 2 s later.
func TestGraceShorterThanPreStop(t *testing.T) {
	p := Default()
	p.PreStop, p.Grace, p.Event, p.ScaleTo = 60, 20, ScaleIn, 1
	s := newSim(p, 1)
	var term, kill float64
	s.runAllWith(func() {
		for _, q := range s.pods {
			if q.terminating && term == 0 {
				term, kill = q.sigterm-q.deletedAt, q.sigkill-q.deletedAt
			}
		}
	})
	if term != 20 || kill != 22 {
		t.Errorf("SIGTERM %v s and SIGKILL %v s after deletion, want 20 and 22", term, kill)
	}
}

func TestDefaultScaleToKeepsOne(t *testing.T) {
	for r, want := range map[int]int{0: 0, 1: 1, 2: 1, 3: 1, 10: 5} {
		if got := DefaultScaleTo(r); got != want {
			t.Errorf("DefaultScaleTo(%d) = %d, want %d", r, got, want)
		}
	}
}

// Monte Carlo causes cover every run: their counts add up to the failures
// of all runs, each run simulated on its own.
func TestMonteCarloCausesCoverAllRuns(t *testing.T) {
	p := Default()
	p.PreStop, p.Grace = 5, 30 // drops in most runs
	const n = 8
	s, err := MonteCarlo(p, 7, n, 2)
	if err != nil {
		t.Fatal(err)
	}
	var want, got int64
	runs := 0
	for i := range n {
		r := mustRun(t, p, RunSeed(7, i))
		want += r.Failed()
		if r.Failed() > 0 {
			runs++
		}
	}
	maxRuns := 0
	for _, c := range s.Causes {
		got += c.Count
		maxRuns = max(maxRuns, c.Runs)
	}
	if got != want || want == 0 {
		t.Errorf("causes over the series count %d failures, the runs %d", got, want)
	}
	if maxRuns > runs || maxRuns == 0 {
		t.Errorf("a cause appears in %d runs, %d runs failed", maxRuns, runs)
	}
	if s.Example.Failed() == 0 {
		t.Errorf("the example run failed nothing")
	}
}
