package agree

import (
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/sim"
)

// The write-up's recommended configurations (ALB: ip targets, gate, preStop
// sleep 180, grace 200, deregistration delay 30; NLB: ip targets, gate,
// preStop sleep 420, grace above it) check clean at warning level and
// simulate no failed request in any of 50 runs of every event; its naive
// ones (no preStop, no probe, no gate, instance targets, defaults) check
// with errors and drop requests in every event.
func TestSeedConfigurations(t *testing.T) {
	base := Config{Target: "ip", Gate: true, PreStop: "sleep", PDB: "maxUnavailable1", Surge: "25%", Unavail: "0",
		Replicas: 3, Probe: true, Spread: true}
	alb, nlb := base, base
	alb.LB, alb.PreStopS, alb.Grace, alb.Dereg = "ALB", 180, 200, 30
	nlb.LB, nlb.PreStopS, nlb.Grace, nlb.Dereg = "NLB", 420, 450, -1
	naive := Config{Target: "instance", PreStop: "none", Grace: -1, Dereg: -1, PDB: "none", Surge: "25%", Unavail: "25%", Replicas: 3}
	naiveALB, naiveNLB := naive, naive
	naiveALB.LB, naiveNLB.LB = "ALB", "NLB"
	runs := 50
	if testing.Short() {
		runs = 10
	}
	for _, tc := range []struct {
		name string
		c    Config
		good bool
	}{{"recommended ALB", alb, true}, {"recommended NLB", nlb, true}, {"naive ALB", naiveALB, false}, {"naive NLB", naiveNLB, false}} {
		res, cases := sim.Analyze(load.Bytes(tc.name+".yaml", tc.c.Manifests(), load.Options{}), check.Options{})
		if len(cases) != 1 || len(res.Errors) > 0 {
			t.Fatalf("%s: %d cases, input errors %v", tc.name, len(cases), res.Errors)
		}
		var worst finding.Severity
		for _, f := range res.Findings {
			if !f.Suppressed {
				worst = max(worst, f.Severity)
				if tc.good && f.Severity >= finding.Warning {
					t.Errorf("%s: check reports %s %s: %s", tc.name, f.Rule, f.Severity, f.Message)
				}
			}
		}
		if !tc.good && worst < finding.Error {
			t.Errorf("%s: check reports no error", tc.name)
		}
		for _, ev := range sim.Events() {
			p := cases[0].Params
			p.Event = ev
			s, err := sim.MonteCarlo(p, 1, runs, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, end := range []bool{false, true} {
				r, err := sim.Simulate(p.AtEnd(end), 1)
				if err != nil {
					t.Fatal(err)
				}
				if tc.good && r.Failed() > 0 {
					t.Errorf("%s %s, every delay at its %s end: %d failed %+v", tc.name, ev, map[bool]string{false: "low", true: "high"}[end], r.Failed(), r.Causes)
				}
			}
			switch {
			case tc.good && s.ZeroDropRuns != runs:
				t.Errorf("%s %s: requests failed in %d of %d runs: %+v", tc.name, ev, runs-s.ZeroDropRuns, runs, s.Causes)
			case !tc.good && s.ZeroDropRuns == runs:
				t.Errorf("%s %s: no run drops a request", tc.name, ev)
			}
		}
	}
}
