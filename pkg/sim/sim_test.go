package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	zdcheck "github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/timing"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// randomParams makes a scenario of any shape, good or bad.
func randomParams(r *rand.Rand) Params {
	p := Default()
	lbs := []timing.LB{timing.ALB, timing.NLB, timing.CLB}
	p.LB = lbs[r.IntN(3)]
	p.TargetType = []string{timing.TargetIP, timing.TargetInstance}[r.IntN(2)]
	if p.LB == timing.CLB {
		p.TargetType = timing.TargetInstance
	}
	p.FromProfile(timing.Default().For(p.LB, p.TargetType))
	p.Gate = p.TargetType == timing.TargetIP && r.IntN(2) == 0
	p.HealthInterval = float64(5 + r.IntN(26))
	p.HealthyThreshold, p.UnhealthyThreshold = 2+r.IntN(4), 2+r.IntN(4)
	p.DeregistrationDelay = float64(r.IntN(301))
	p.Replicas = 1 + r.IntN(8)
	if r.IntN(10) == 0 {
		p.Strategy = "Recreate"
	}
	s, u := intOrPct(r), intOrPct(r)
	p.MaxSurge, p.MaxUnavailable = &s, &u
	p.MinReadySeconds = float64(r.IntN(3) * 10)
	if r.IntN(3) > 0 {
		p.Probe = &Probe{InitialDelay: float64(r.IntN(5)), Period: float64(1 + r.IntN(10)), SuccessThreshold: 1 + r.IntN(2), FailureThreshold: 1 + r.IntN(3)}
	}
	p.PreStop = float64(r.IntN(150))
	p.Grace = float64(r.IntN(160))
	p.App = []AppBehaviour{AppDrain, AppExit, AppIgnore}[r.IntN(3)]
	if r.IntN(2) == 0 {
		v := intstr.FromInt32(int32(r.IntN(3)))
		p.PDB = &PDB{MaxUnavailable: &v}
	}
	p.Event = Events()[r.IntN(3)]
	p.ScaleTo = r.IntN(p.Replicas + 1)
	p.Nodes = 1 + r.IntN(4)
	p.DrainNodes = r.IntN(p.Nodes + 1)
	p.RPS = float64(r.IntN(200))
	p.DurationMedian = 0.01 + r.Float64()
	p.DurationSigma = r.Float64() * 1.5
	p.KeepAlive = r.Float64()
	if r.IntN(4) == 0 {
		p.IdleRace = r.Float64() * 0.01
	}
	p.LocalTraffic = p.TargetType == timing.TargetInstance && r.IntN(3) == 0
	p.ConnTermination = p.LB == timing.NLB && r.IntN(2) == 0
	p.NoTargets = r.IntN(20) == 0
	p.Frozen = !p.NoTargets && r.IntN(20) == 0
	return p
}

func intOrPct(r *rand.Rand) intstr.IntOrString {
	if r.IntN(2) == 0 {
		return intstr.FromInt32(int32(r.IntN(4)))
	}
	return intstr.FromString(fmt.Sprintf("%d%%", r.IntN(101)))
}

func mustRun(t *testing.T, p Params, seed uint64) *Run {
	t.Helper()
	r, err := Simulate(p, seed)
	if err != nil {
		t.Fatalf("%v\n%+v", err, p)
	}
	return r
}

// Every request has exactly one result: the counts by class add up to the
// arrivals, and so does the timeline, whose seconds are never negative.
func TestEveryRequestHasOneResult(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		p := randomParams(r)
		run := mustRun(t, p, uint64(i))
		var sum int64
		for _, c := range FailureClasses() {
			sum += run.Failures[c]
		}
		if run.OK+sum != run.Total || run.OK < 0 {
			t.Fatalf("case %d: ok %d + failed %d != total %d", i, run.OK, sum, run.Total)
		}
		var tl, causes int64
		for _, s := range run.Timeline {
			if s.OK < 0 {
				t.Fatalf("case %d: negative ok count in the timeline", i)
			}
			tl += s.OK + s.FailedTotal()
		}
		for _, c := range run.Causes {
			causes += c.Count
		}
		if tl != run.Total || causes != sum {
			t.Fatalf("case %d: timeline %d, causes %d, total %d, failed %d", i, tl, causes, run.Total, sum)
		}
	}
}

func TestZeroTrafficZeroFailures(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		p := randomParams(r)
		p.RPS = 0
		run := mustRun(t, p, uint64(i))
		if run.Total != 0 || run.Failed() != 0 {
			t.Fatalf("case %d: %d requests, %d failed with no traffic", i, run.Total, run.Failed())
		}
	}
}

// cleanParams makes a scenario that meets every inequality of the timing
// model, as check states them: ip targets with a readiness gate (or
// instance targets), a readiness probe, preStop ≥ stop_sending + margin,
// grace ≥ preStop + shutdown allowance, maxUnavailable below the replica
// count, a budget allowing one eviction, a deregistration delay of at
// least deregisterPropagation + longestRequest, and an app that drains. Requests last at most
// margin + shutdown allowance (the time a draining app is sure to have).
func cleanParams(r *rand.Rand) Params {
	p := Default()
	p.LB = []timing.LB{timing.ALB, timing.NLB}[r.IntN(2)]
	p.TargetType = []string{timing.TargetIP, timing.TargetInstance}[r.IntN(2)]
	prof := timing.Default()
	p.FromProfile(prof.For(p.LB, p.TargetType))
	p.Gate = p.TargetType == timing.TargetIP
	p.HealthInterval = float64(5 + r.IntN(26))
	p.HealthyThreshold, p.UnhealthyThreshold = 2+r.IntN(4), 2+r.IntN(4)
	in := timing.Input{LB: p.LB, TargetType: p.TargetType,
		Interval:         timing.Value{Seconds: int64(p.HealthInterval)},
		HealthyThreshold: timing.Value{Seconds: int64(p.HealthyThreshold)}, UnhealthyThreshold: timing.Value{Seconds: int64(p.UnhealthyThreshold)}}
	n := prof.Compute(in)
	p.Replicas = 2 + r.IntN(7)
	s := intOrPct(r)
	u := intstr.FromInt32(int32(r.IntN(p.Replicas)))
	p.MaxSurge, p.MaxUnavailable = &s, &u
	p.Probe = &Probe{InitialDelay: float64(r.IntN(5)), Period: float64(1 + r.IntN(10)), SuccessThreshold: 1, FailureThreshold: 1 + r.IntN(3)}
	if !p.Gate {
		// design.md: without a gate a rollout is safe only if
		// minReadySeconds ≥ register. check's ZD010 waives this for
		// instance targets (adding and removing a pod both take
		// endpointPropagation); the simulator draws the two delays
		// independently and finds drops when the rollout leaves a single
		// ready pod, so the inequality stays in.
		p.MinReadySeconds = float64(n.Register.High)
	}
	p.PreStop = float64(n.RequiredPreStop.High + int64(r.IntN(30)))
	app := prof.DefaultApp(p.LB, p.TargetType)
	p.Grace = p.PreStop + float64(app.ShutdownAllowance.High+int64(r.IntN(20)))
	p.DeregistrationDelay = float64(n.RequiredDeregistrationDelay(app).High + int64(r.IntN(100)))
	one := intstr.FromInt32(1)
	p.PDB = &PDB{MaxUnavailable: &one}
	p.Event = Events()[r.IntN(3)]
	p.ScaleTo = 1 + r.IntN(p.Replicas) // scaling to zero is an outage by design
	p.Nodes = 1 + r.IntN(4)
	p.DrainNodes = r.IntN(p.Nodes + 1)
	p.RPS = float64(1 + r.IntN(200))
	p.DurationMedian = 0.01 + r.Float64()*0.3
	p.DurationSigma = r.Float64()
	p.DurationMax = float64(n.Profile.Margin.High + app.ShutdownAllowance.High)
	p.KeepAlive = r.Float64()
	return p
}

func TestMeetingEveryInequalityDropsNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 300 {
		p := cleanParams(r)
		run := mustRun(t, p, uint64(i))
		if run.Failed() != 0 {
			for _, m := range run.Marks {
				t.Log(m.At, m.What)
			}
			t.Fatalf("case %d: %d requests failed: %+v\nparams %+v", i, run.Failed(), run.Causes, p)
		}
	}
}

// A longer preStop, with the grace period raised to match, never drops
// more. Recreate is left out: it starts new pods only once the old ones are
// gone, so a longer preStop lengthens its outage; so are frozen and empty
// target groups, where nothing about the pods matters, and the idle-timeout
// race, which fails a share of all traffic and so grows with a longer run.
// externalTrafficPolicy: Local is left out too: a node without a local
// endpoint takes a round-robin share of the traffic, so shifting the
// termination by a second moves a few requests between that node and its
// neighbours (TestLocalTrafficWaitsForNodeHealthCheck covers it).
func TestLongerPreStopNeverDropsMore(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 300; i++ {
		p := randomParams(r)
		if p.Strategy == "Recreate" || p.Frozen || p.NoTargets {
			i--
			continue
		}
		p.IdleRace = 0
		p.LocalTraffic = false
		extra := p.Grace - p.PreStop
		if extra < 0 {
			extra = 0
		}
		longer := p
		longer.PreStop = p.PreStop + float64(1+r.IntN(120))
		longer.Grace = longer.PreStop + extra
		p.Grace = p.PreStop + extra
		a, b := mustRun(t, p, uint64(i)), mustRun(t, longer, uint64(i))
		// Compare over the seconds both runs cover: a run that ends in an
		// outage (a scale-in to zero, say) fails whatever traffic its tail
		// holds, and the longer preStop makes the run longer.
		horizon := min(len(a.Timeline), len(b.Timeline)) - 1 // whole seconds only
		fa, fb := failedBefore(a, horizon), failedBefore(b, horizon)
		if fb > fa {
			t.Fatalf("case %d: preStop %v drops %d, preStop %v drops %d\n%+v\n%+v", i, p.PreStop, fa, longer.PreStop, fb, a.Causes, b.Causes)
		}
	}
}

func failedBefore(r *Run, sec int) int64 {
	var n int64
	for i := 0; i < sec && i < len(r.Timeline); i++ {
		n += r.Timeline[i].FailedTotal()
	}
	return n
}

// The Deployment controller rounds maxSurge up and maxUnavailable down,
// and makes maxUnavailable 1 when both come to 0 (Kubernetes' documented
// behaviour); the simulator uses timing.RollingBatch, which does exactly
// that, and its rollouts keep to the result.
func TestRollingBatchRounding(t *testing.T) {
	cases := []struct {
		replicas               int32
		surge, unavailable     string
		wantSurge, wantUnavail int32
	}{
		{10, "25%", "25%", 3, 2}, // the defaults: 2.5 up to 3, 2.5 down to 2
		{3, "25%", "25%", 1, 0},  // 0.75 up to 1, down to 0
		{1, "25%", "25%", 1, 0},  // one replica: surge one pod
		{4, "0", "0", 0, 1},      // both zero: unavailable 1
		{3, "0%", "10%", 0, 1},   // 0.3 down to 0, so both zero
		{100, "1", "0", 1, 0},    // absolute values as written
		{1000, "10%", "0", 100, 0},
		{7, "50%", "50%", 4, 3}, // 3.5 up and down
		{5, "100%", "0", 5, 0},
		{5, "30%", "30%", 2, 1}, // 1.5
	}
	for _, c := range cases {
		s, u := intstr.Parse(c.surge), intstr.Parse(c.unavailable)
		gs, gu, err := timing.RollingBatch(c.replicas, &s, &u)
		if err != nil || gs != c.wantSurge || gu != c.wantUnavail {
			t.Errorf("RollingBatch(%d, %s, %s) = %d, %d, %v; want %d, %d", c.replicas, c.surge, c.unavailable, gs, gu, err, c.wantSurge, c.wantUnavail)
		}
		p := Default()
		p.Replicas, p.MaxSurge, p.MaxUnavailable = int(c.replicas), &s, &u
		ps, pu, _ := p.Batch()
		if ps != int(gs) || pu != int(gu) {
			t.Errorf("Params.Batch differs from RollingBatch for %+v", c)
		}
		// The rollout never has more than replicas + surge pods that are
		// not terminating, and with no traffic-free slack it reaches it.
		p.RPS = 0
		run := mustRun(t, p, 1)
		if run.Done < 0 {
			t.Errorf("%+v: rollout never finished", c)
		}
		if c.wantSurge > 0 && run.PeakPods < int(c.replicas+c.wantSurge) && c.wantUnavail == 0 {
			t.Errorf("%+v: at most %d pods, want at least replicas + surge = %d", c, run.PeakPods, c.replicas+c.wantSurge)
		}
	}
}

// The rollout never has more non-terminating pods than replicas + surge.
func TestSurgeBound(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 100 {
		p := randomParams(r)
		p.Event, p.Strategy = Rollout, "RollingUpdate"
		if p.Validate() != nil {
			continue
		}
		s := newSim(p, uint64(i))
		surge, _, _ := p.Batch()
		worst := 0
		s.runAllWith(func() {
			if n := s.count(0, false) + s.count(1, false); n > worst {
				worst = n
			}
		})
		if worst > p.Replicas+surge {
			t.Fatalf("case %d: %d pods not terminating at once, more than replicas %d + surge %d", i, worst, p.Replicas, surge)
		}
	}
}

func TestSameSeedSameOutput(t *testing.T) {
	for _, v := range BuiltIn() {
		for _, c := range casesOf(v.Load(load.Options{})) {
			enc := func(workers int) []byte {
				s, err := MonteCarlo(c.Params, 42, 8, workers)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(NewResult(c, v.Name, s))
				return b
			}
			a, b, d := enc(1), enc(2), enc(4)
			if !bytes.Equal(a, b) || !bytes.Equal(a, d) {
				t.Fatalf("%s: output differs between runs with one seed", v.Name)
			}
			other, _ := MonteCarlo(c.Params, 43, 1, 1)
			first, _ := MonteCarlo(c.Params, 42, 1, 1)
			if other.First.Total == first.First.Total && other.First.End == first.First.End && c.Params.RPS > 0 {
				t.Errorf("%s: seeds 42 and 43 gave the same run", v.Name)
			}
		}
	}
}

// The recommended configurations drop nothing in at least 99% of 200 runs
// of every event; the naive ones drop requests.
func TestBuiltInScenario(t *testing.T) {
	for _, v := range BuiltIn() {
		cs := casesOf(v.Load(load.Options{}))
		if len(cs) != 1 {
			t.Fatalf("%s: %d cases, want 1", v.Name, len(cs))
		}
		for _, ev := range Events() {
			p := cs[0].Params
			p.Event = ev
			runs := 200
			if testing.Short() {
				runs = 20
			}
			s, err := MonteCarlo(p, 1, runs, 0)
			if err != nil {
				t.Fatal(err)
			}
			switch v.Name {
			case "recommended-alb", "recommended-nlb":
				if s.ZeroDropRuns*100 < runs*99 {
					t.Errorf("%s %s: no drop in only %d of %d runs", v.Name, ev, s.ZeroDropRuns, runs)
				}
				if s.Unfinished > 0 {
					t.Errorf("%s %s: %d runs never finished", v.Name, ev, s.Unfinished)
				}
			default:
				if s.Failed.P50 == 0 {
					t.Errorf("%s %s: the median run drops nothing", v.Name, ev)
				}
			}
		}
	}
}

// The embedded copies of the write-up's manifests are examples/seed's.
func TestSeedCopiesMatchExamples(t *testing.T) {
	for _, d := range []string{"naive", "recommended"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "examples", "seed", d, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("examples/seed/%s: %v", d, err)
		}
		for _, f := range files {
			want, _ := os.ReadFile(f)
			got, err := seedFS.ReadFile("seed/" + d + "/" + filepath.Base(f))
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("pkg/sim/seed/%s/%s differs from %s; copy it over", d, filepath.Base(f), f)
			}
		}
	}
}

// Every delay is drawn inside the range check judges against, across all
// of it: the draws come near both ends.
func TestDrawsCoverCheckRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, k := range [][2]string{{"ALB", "ip"}, {"NLB", "ip"}, {"NLB", "instance"}} {
		pr := timing.Default().For(timing.LB(k[0]), k[1])
		var p Params
		p.FromProfile(pr)
		for name, pair := range map[string]struct {
			d  Dist
			rg timing.Range
		}{"reconcile": {p.Reconcile, pr.Reconcile}, "register": {p.RegisterPropagation, pr.RegisterPropagation},
			"deregister": {p.DeregisterPropagation, pr.DeregisterPropagation}, "kube-proxy": {p.EndpointPropagation, pr.EndpointPropagation}} {
			lo, hi := float64(pair.rg.Low), float64(pair.rg.High)
			mn, mx := hi, lo
			for range 2000 {
				x := pair.d.Sample(r)
				if x < lo || x > hi {
					t.Fatalf("%s %s: draw %v outside check's range %s", k, name, x, pair.rg)
				}
				mn, mx = min(mn, x), max(mx, x)
			}
			if w := hi - lo; mn > lo+0.01*w || mx < hi-0.01*w {
				t.Errorf("%s %s: draws span %v–%v, want across %s", k, name, mn, mx, pair.rg)
			}
		}
	}
}

// The simulator reads its delays and its app from check's model: the
// ranges of Pass.Numbers and the app of Pass.App, never its own copy.
func TestCasesReadCheckModel(t *testing.T) {
	for _, v := range BuiltIn() {
		var m *zdcheck.Model
		zdcheck.AnalyzeWith(v.Load(load.Options{}), zdcheck.Options{}, func(mm *zdcheck.Model) []finding.Finding { m = mm; return nil })
		cs := FromModel(m)
		if len(cs) != 1 {
			t.Fatalf("%s: %d cases", v.Name, len(cs))
		}
		e := m.Exposures[0]
		n, app := m.Pass.Numbers(e), m.Pass.App(e.Workloads[0])
		p := cs[0].Params
		if d, rg := p.DeregisterPropagation, n.Profile.DeregisterPropagation; d.Min != float64(rg.Low) || d.Max != float64(rg.High) {
			t.Errorf("%s: deregistration drawn over %v, check uses %s", v.Name, d, rg)
		}
		if p.DurationMax != float64(app.LongestRequest.High) || p.App != FromShutdown(app.Shutdown) {
			t.Errorf("%s: longest request %v and app %s, check has %s and %s", v.Name, p.DurationMax, p.App, app.LongestRequest, app.Shutdown)
		}
	}
}

// casesOf reads loaded manifests the way simulate does: through check's
// analysis with the default options.
func casesOf(lr *load.Result) []Case {
	_, cs := Analyze(lr, zdcheck.Options{})
	return cs
}

// An autoscaled workload is simulated at its minReplicas, the count the
// rules judge disruption at, and the case says so.
func TestCaseReadsAutoscalerRange(t *testing.T) {
	data, err := os.ReadFile("../check/testdata/rules/ZD010_hpa_min_one_max_unavailable_one.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, cases := Analyze(load.Bytes("hpa.yaml", data, load.Options{}), zdcheck.Options{})
	if len(cases) != 1 {
		t.Fatalf("want one case, got %d", len(cases))
	}
	c := cases[0]
	if c.Params.Replicas != 1 || c.Params.ScaleTo != 1 {
		t.Errorf("replicas %d, scale-in to %d; want 1 and 1 (minReplicas 1, not spec.replicas 4)", c.Params.Replicas, c.Params.ScaleTo)
	}
	found := false
	for _, n := range c.Notes {
		found = found || n == "HPA web keeps 1–4 replicas; simulated at minReplicas 1"
	}
	if !found {
		t.Errorf("notes %q lack the autoscaler's range", c.Notes)
	}
}
