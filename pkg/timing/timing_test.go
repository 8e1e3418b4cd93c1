package timing

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func hc(interval, healthy, unhealthy int64) Input {
	v := func(n string, s int64) Value { return Value{Name: n, Seconds: s, Source: FromDefault} }
	return Input{Interval: v("interval", interval), Timeout: v("timeout", 5), HealthyThreshold: v("healthy", healthy), UnhealthyThreshold: v("unhealthy", unhealthy)}
}

func TestComputePresets(t *testing.T) {
	ps := Default()
	cases := []struct {
		lb                      LB
		tt                      string
		local                   bool
		interval, healthy       int64
		stop, prestop, register int64
	}{
		// ALB ip: reconcile 5 + propagation 10; one passed check to register.
		{ALB, TargetIP, false, 15, 2, 15, 20, 5 + 10 + 15},
		// NLB ip: reconcile 5 + 120 s deregistration; healthy threshold × interval.
		{NLB, TargetIP, false, 10, 3, 125, 130, 5 + 180 + 30},
		// Instance targets: kube-proxy on every node.
		{CLB, TargetInstance, false, 10, 2, 5, 10, 5},
		// eTP=Local: the node's health check must fail first.
		{NLB, TargetInstance, true, 10, 2, 5 + 2*10 + 120, 5 + 2*10 + 120 + 5, 5},
	}
	for _, c := range cases {
		in := hc(c.interval, c.healthy, 2)
		in.LB, in.TargetType, in.LocalTraffic = c.lb, c.tt, c.local
		n := ps.Compute(in)
		if n.StopSending.Seconds != c.stop || n.RequiredPreStop.Seconds != c.prestop || n.Register.Seconds != c.register {
			t.Errorf("%s/%s local=%v: stop %d prestop %d register %d; want %d %d %d (%s)", c.lb, c.tt, c.local,
				n.StopSending.Seconds, n.RequiredPreStop.Seconds, n.Register.Seconds, c.stop, c.prestop, c.register, n.StopSending.Detail)
		}
		if n.RequiredPreStop.Source != FromDerived || !strings.Contains(n.RequiredPreStop.Detail, "margin") {
			t.Errorf("required preStop does not show its working: %+v", n.RequiredPreStop)
		}
	}
	g := ps.Compute(Input{LB: ALB, TargetType: TargetIP}).RequiredGrace(Value{Seconds: 20})
	if g.Seconds != 30 {
		t.Errorf("required grace for a 20 s preStop = %d, want 30", g.Seconds)
	}
}

func TestProfileOverrides(t *testing.T) {
	ps, err := ParseProfile("p.yaml", []byte("shutdownAllowance: 20\npresets:\n  nlb/IP:\n    deregisterPropagation: 200\n"))
	if err != nil {
		t.Fatal(err)
	}
	nlb := ps.For(NLB, TargetIP)
	if nlb.DeregisterPropagation.Seconds != 200 || nlb.DeregisterPropagation.Source != FromProfile {
		t.Errorf("preset override: %+v", nlb.DeregisterPropagation)
	}
	if ps.For(ALB, TargetIP).ShutdownAllowance.Seconds != 20 || ps.For(ALB, TargetIP).DeregisterPropagation.Seconds != 10 {
		t.Error("a top-level delay must apply to every preset and a preset override to its own only")
	}
	for _, bad := range []string{"reconsile: 5\n", "reconcile: -1\n", "reconcile: 1.5\n", "presets:\n  GLB/ip: {reconcile: 1}\n", "presets: [1]\n", "reconcile: [\n"} {
		if _, err := ParseProfile("bad.yaml", []byte(bad)); err == nil {
			t.Errorf("profile %q accepted", bad)
		}
	}
}

func TestRollingBatch(t *testing.T) {
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	cases := []struct {
		replicas       int32
		surge, unavail *intstr.IntOrString
		wantS, wantU   int32
	}{
		{4, pct("25%"), pct("25%"), 1, 1},
		{10, pct("25%"), pct("25%"), 3, 2}, // surge rounds up, unavailable down
		{1, pct("25%"), pct("25%"), 1, 0},
		{3, num(0), num(0), 0, 1}, // both zero: the controller allows one unavailable
		{5, num(2), pct("100%"), 2, 5},
	}
	for _, c := range cases {
		s, u, err := RollingBatch(c.replicas, c.surge, c.unavail)
		if err != nil || s != c.wantS || u != c.wantU {
			t.Errorf("RollingBatch(%d, %v, %v) = %d, %d, %v; want %d, %d", c.replicas, c.surge, c.unavail, s, u, err, c.wantS, c.wantU)
		}
	}
	if _, _, err := RollingBatch(3, pct("x%"), nil); err == nil {
		t.Error("a bad percentage was accepted")
	}
}
