package sim

import (
	"strings"
	"testing"

	zdcheck "github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/load"
)

// recommendedALB returns the built-in recommended ALB manifests as one
// stream, with each replacement applied (old, new pairs).
func recommendedALB(t *testing.T, repl ...string) []byte {
	t.Helper()
	var b strings.Builder
	for _, f := range BuiltIn()[1].Files {
		b.Write(f.Data)
		b.WriteString("\n---\n")
	}
	s := b.String()
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("manifest has no %q", repl[i])
		}
		s = strings.Replace(s, repl[i], repl[i+1], 1)
	}
	return []byte(s)
}

func recommendedNLB(t *testing.T, repl ...string) []byte {
	t.Helper()
	var b strings.Builder
	for _, f := range BuiltIn()[3].Files {
		b.Write(f.Data)
		b.WriteString("\n---\n")
	}
	s := b.String()
	for i := 0; i+1 < len(repl); i += 2 {
		if !strings.Contains(s, repl[i]) {
			t.Fatalf("manifest has no %q", repl[i])
		}
		s = strings.Replace(s, repl[i], repl[i+1], 1)
	}
	return []byte(s)
}

// Each error-severity rule stands for a failure mode the simulator
// reproduces. For every rule: a manifest that check reports with that
// error, and the outcome the simulator must show for it in at least one of
// a few runs (docs/commands/simulate.md has the table).
func TestErrorRulesReproduce(t *testing.T) {
	type outcome func(*Run) bool
	cause := func(cs ...Cause) outcome {
		return func(r *Run) bool {
			for _, cc := range r.Causes {
				for _, c := range cs {
					if cc.Cause == c && cc.Count > 0 {
						return true
					}
				}
			}
			return false
		}
	}
	stalls := func(r *Run) bool { return r.Done < 0 || r.DeadlineExceeded }
	deadline := func(r *Run) bool { return r.DeadlineExceeded }
	refusedAfterSIGTERM := cause(CauseStopped, CauseKeepAliveClosed, CauseExited, CausePodGone)
	cases := []struct {
		rule     string
		name     string
		manifest []byte
		event    Event
		tweak    func(*Params)
		want     outcome
	}{
		{"ZD001", "instance targets on a ClusterIP Service: no target group",
			recommendedALB(t, "alb.ingress.kubernetes.io/target-type: ip", "alb.ingress.kubernetes.io/target-type: instance"),
			Rollout, nil, cause(CauseNoTargets)},
		{"ZD002", "no readiness gate: the rollout outruns registration",
			recommendedALB(t, "elbv2.k8s.aws/pod-readiness-gate-inject: enabled", "team: web", "maxSurge: 25%", "maxSurge: 100%"),
			Rollout, nil, cause(CauseNoTargets)},
		{"ZD003", "no preStop: SIGTERM while the ALB still sends",
			recommendedALB(t, "preStop:\n              sleep:\n                seconds: 25", "postStart:\n              sleep:\n                seconds: 1"),
			Rollout, nil, refusedAfterSIGTERM},
		{"ZD004", "grace shorter than preStop and than the ALB's stop-sending time: killed with requests in flight",
			recommendedALB(t, "terminationGracePeriodSeconds: 55", "terminationGracePeriodSeconds: 4"),
			Rollout, func(p *Params) { p.DurationMedian = 8 }, cause(CauseKilled)},
		{"ZD005", "no readiness probe: traffic before the app listens",
			recommendedALB(t,
				"alb.ingress.kubernetes.io/target-type: ip", "alb.ingress.kubernetes.io/target-type: instance",
				"type: ClusterIP", "type: NodePort",
				"readinessProbe:", "startupProbe:"),
			Rollout, nil, cause(CauseNotListening)},
		{"ZD006", "policy/v1beta1 budget on 1.25+: a drain evicts every pod at once",
			recommendedALB(t, "apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n"),
			Drain, nil, cause(CauseNoTargets)},
		{"ZD009", "health check the ELB API refuses: the target group stops following the pods",
			recommendedALB(t, `healthcheck-interval-seconds: "10"`, `healthcheck-interval-seconds: "400"`),
			Rollout, nil, stalls},
		{"ZD009", "gate wait beyond the progress deadline",
			recommendedNLB(t, `healthcheck-interval: "10"`, `healthcheck-interval: "300"`,
				`healthcheck-healthy-threshold: "2"`, `healthcheck-healthy-threshold: "10"`),
			Rollout, nil, deadline},
		{"ZD010", "Recreate: no target for the whole rollout",
			recommendedALB(t, "type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0", "type: Recreate"),
			Rollout, nil, cause(CauseNoTargets)},
		{"ZD010", "maxUnavailable covering every replica",
			recommendedALB(t, "maxUnavailable: 0", "maxUnavailable: 100%"),
			Rollout, nil, cause(CauseNoTargets)},
		{"ZD011", "named targetPort no container declares: no endpoint",
			recommendedALB(t, "targetPort: http", "targetPort: web"),
			Rollout, nil, cause(CauseNoTargets)},
	}
	for _, tc := range cases {
		t.Run(tc.rule+" "+tc.name, func(t *testing.T) {
			lr := load.Bytes("case.yaml", tc.manifest, load.Options{})
			if len(lr.Errors) > 0 {
				t.Fatalf("input errors: %v", lr.Errors)
			}
			res := zdcheck.Analyze(lr, zdcheck.Options{})
			found := false
			for _, f := range res.Findings {
				if f.Rule == tc.rule && f.Severity == finding.Error {
					found = true
				}
			}
			if !found {
				var got []string
				for _, f := range res.Findings {
					got = append(got, f.Rule+" "+f.Severity.String())
				}
				t.Fatalf("check reports no %s error; it reports %v", tc.rule, got)
			}
			cs := casesOf(lr)
			if len(cs) != 1 {
				t.Fatalf("%d cases, want 1", len(cs))
			}
			p := cs[0].Params
			p.Event = tc.event
			if tc.tweak != nil {
				tc.tweak(&p)
			}
			for seed := uint64(1); seed <= 20; seed++ {
				r, err := Simulate(p, seed)
				if err != nil {
					t.Fatal(err)
				}
				if tc.want(r) {
					return
				}
			}
			t.Errorf("the failure mode did not show in 20 runs; notes %v", cs[0].Notes)
		})
	}
}

// ZD005 with ip targets and a readiness gate: the load balancer's own
// health check keeps traffic from the pod until the app answers, so the
// simulator finds no drop, and check reports a warning, not an error.
func TestMissingProbeBehindGateDropsNothing(t *testing.T) {
	lr := load.Bytes("case.yaml", recommendedALB(t, "readinessProbe:", "startupProbe:"), load.Options{})
	var sevs []string
	for _, f := range zdcheck.Analyze(lr, zdcheck.Options{}).Findings {
		if f.Rule == "ZD005" {
			sevs = append(sevs, f.Severity.String())
		}
	}
	if len(sevs) != 1 || sevs[0] != finding.Warning.String() {
		t.Errorf("check reports ZD005 as %v, want one warning", sevs)
	}
	cs := casesOf(lr)
	s, err := MonteCarlo(cs[0].Params, 1, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.ZeroDropRuns != 50 {
		t.Errorf("%d of 50 runs dropped requests", 50-s.ZeroDropRuns)
	}
}
