package timing

import (
	"math"
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
	type span struct{ lo, hi int64 }
	cases := []struct {
		lb                      LB
		tt                      string
		local                   bool
		interval, healthy       int64
		stop, prestop, register span
	}{
		// ALB ip: reconcile 0–5 + propagation 5–15; one passed check to register.
		{ALB, TargetIP, false, 15, 2, span{5, 20}, span{10, 25}, span{0 + 5 + 15, 5 + 15 + 15}},
		// NLB ip: reconcile 0–5 + 120–180 s deregistration; healthy threshold × interval.
		{NLB, TargetIP, false, 10, 3, span{120, 185}, span{125, 190}, span{0 + 90 + 30, 5 + 180 + 30}},
		// Instance targets: kube-proxy on every node, 1–5 s.
		{CLB, TargetInstance, false, 10, 2, span{1, 5}, span{6, 10}, span{1, 5}},
		// eTP=Local: the node's health check must fail first, and a pod on
		// a node without another must wait for it to pass.
		{NLB, TargetInstance, true, 10, 2, span{1 + 20 + 120, 5 + 20 + 180}, span{1 + 20 + 120 + 5, 5 + 20 + 180 + 5}, span{1 + 20 + 90, 5 + 20 + 180}},
	}
	for _, c := range cases {
		in := hc(c.interval, c.healthy, 2)
		in.LB, in.TargetType, in.LocalTraffic = c.lb, c.tt, c.local
		n := ps.Compute(in)
		got := []span{{n.StopSending.Low, n.StopSending.High}, {n.RequiredPreStop.Low, n.RequiredPreStop.High}, {n.Register.Low, n.Register.High}}
		want := []span{c.stop, c.prestop, c.register}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s/%s local=%v: stop/prestop/register #%d = %v, want %v (%s)", c.lb, c.tt, c.local, i, got[i], want[i], n.StopSending.Detail)
			}
		}
		if n.RequiredPreStop.Source != FromDerived || !strings.Contains(n.RequiredPreStop.Detail, "margin") {
			t.Errorf("required preStop does not show its working: %+v", n.RequiredPreStop)
		}
	}
	// The public figures: an NLB keeps sending for at least 120–180 s, an
	// ALB for about 5–20 s, kube-proxy takes 1–5 s.
	nlb := ps.Compute(Input{LB: NLB, TargetType: TargetIP}).StopSending
	alb := ps.Compute(Input{LB: ALB, TargetType: TargetIP}).StopSending
	kp := ps.For(ALB, TargetInstance).EndpointPropagation
	if nlb.Low > 120 || nlb.High < 180 || alb.Low > 5 || alb.High < 20 || kp.Low > 1 || kp.High < 5 {
		t.Errorf("presets narrower than the public figures: NLB %s, ALB %s, kube-proxy %s", nlb, alb, kp)
	}
	for _, pr := range Presets() {
		for _, d := range pr.Delays() {
			if d.LowFrom == "" || d.HighFrom == "" {
				t.Errorf("preset delay %s has no source for an end: %+v", d.Name, d)
			}
		}
	}
}

func TestRequirementsFollowTheApp(t *testing.T) {
	ps := Default()
	n := ps.Compute(Input{LB: ALB, TargetType: TargetIP})
	app := ps.DefaultApp(ALB, TargetIP)
	if app.Shutdown != ShutdownDrain || app.Declared() || app.ShutdownDeclared() {
		t.Fatalf("default app: %+v", app)
	}
	pre := Range{Name: "preStop", Low: 20, High: 20}
	// Draining: preStop + the larger of shutdown allowance and longest request.
	if g := n.RequiredGrace(pre, app); g.High != 20+30 {
		t.Errorf("drain: required grace %s, want high 50", g)
	}
	exit := app
	exit.Shutdown = ShutdownExit
	if g := n.RequiredGrace(pre, exit); g.High != 20+10 {
		t.Errorf("exit: required grace %s, want high 30", g)
	}
	if r := n.RequiredPreStopFor(exit); r.High != 20+30+5 || r.Low != 5+30+5 {
		t.Errorf("exit: required preStop %s, want 40–55", r)
	}
	ign := app
	ign.Shutdown = ShutdownIgnore
	if g := n.RequiredGrace(pre, ign); g.High != 20+30+5 {
		t.Errorf("ignore: required grace %s, want high 55 (stop sending + longest request + margin)", g)
	}
	if d := n.RequiredDeregistrationDelay(app); d.Low != 35 || d.High != 45 {
		t.Errorf("required D %s, want 35–45", d)
	}
}

func TestProfileOverrides(t *testing.T) {
	ps, err := ParseProfile("p.yaml", []byte("shutdownAllowance: 20\nshutdown: exit\npresets:\n  nlb/IP:\n    deregisterPropagation: {low: 120, high: 300}\n"))
	if err != nil {
		t.Fatal(err)
	}
	nlb := ps.For(NLB, TargetIP)
	if d := nlb.DeregisterPropagation; d.Low != 120 || d.High != 300 || d.Source != FromProfile || d.Name != "lb deregister propagation" {
		t.Errorf("preset override: %+v", d)
	}
	if s := ps.For(ALB, TargetIP).ShutdownAllowance; s.Low != 20 || s.High != 20 {
		t.Errorf("a scalar means low = high = the value: %+v", s)
	}
	if ps.For(ALB, TargetIP).DeregisterPropagation.High != 15 {
		t.Error("a preset override must apply to its own preset only")
	}
	if ps.Shutdown.Value != "exit" || ps.Shutdown.Source != FromProfile {
		t.Errorf("shutdown from the profile: %+v", ps.Shutdown)
	}
	// Narrowing works as well as widening.
	if ps, err := ParseProfile("n.yaml", []byte("deregisterPropagation: {low: 130, high: 140}\n")); err != nil || ps.For(NLB, TargetIP).DeregisterPropagation.High != 140 {
		t.Errorf("narrowing: %v", err)
	}
	bad := map[string]string{
		"reconsile: 5\n":                                           "reconsile",
		"reconcile: -1\n":                                          "reconcile",
		"reconcile: 1.5\n":                                         "reconcile",
		"reconcile: {low: 5, high: 2}\n":                           "reconcile",
		"reconcile: {low: 5}\n":                                    "reconcile",
		"reconcile: {low: 1, high: 2, mid: 1}\n":                   "reconcile",
		"reconcile: {low: -1, high: 2}\n":                          "reconcile.low",
		"reconcile: 1\nreconcile: 2\n":                             "reconcile",
		"presets:\n  GLB/ip: {reconcile: 1}\n":                     "GLB/ip",
		"presets:\n  NLB/ip: {margin: 1}\n  nlb/ip: {margin: 2}\n": "nlb/ip",
		"presets:\n  NLB/ip: {marg: 1}\n":                          "presets.NLB/ip.marg",
		"presets: [1]\n":                                           "presets",
		"shutdown: wait\n":                                         "shutdown",
		"reconcile: [\n":                                           "bad.yaml",
	}
	for in, key := range bad {
		_, err := ParseProfile("bad.yaml", []byte(in))
		if err == nil {
			t.Errorf("profile %q accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "bad.yaml") {
			t.Errorf("profile %q: error %q does not name %q and the file", in, err, key)
		}
	}
}

func TestParseLongestRequest(t *testing.T) {
	for in, want := range map[string]int64{"45s": 45, "2m": 120, "1m30s": 90, "1500ms": 2, " 10s ": 10} {
		if got, err := ParseLongestRequest(in); err != nil || got != want {
			t.Errorf("ParseLongestRequest(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "45", "-1s", "0s", "soon", "48h"} {
		if _, err := ParseLongestRequest(in); err == nil {
			t.Errorf("ParseLongestRequest(%q) accepted", in)
		}
	}
}

func TestRangeHelpers(t *testing.T) {
	r := Between("x", 120, 180, FromPreset, "a", "b")
	if r.String() != "120–180s" || r.Span() != "120–180" || (Value{Seconds: 30}).Range().String() != "30s" {
		t.Errorf("String: %s %s", r, r.Span())
	}
	if r.Covers(119) != CoversNone || r.Covers(120) != CoversLow || r.Covers(179) != CoversLow || r.Covers(180) != CoversAll {
		t.Error("Covers")
	}
	if r.Draw(0) != 120 || r.Draw(1) != 180 || r.Draw(0.5) != 150 || r.Draw(2) != 180 {
		t.Error("Draw must stay inside the range")
	}
	if r.Sources() != "low: a; high: b" {
		t.Errorf("Sources: %q", r.Sources())
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

func TestSignals(t *testing.T) {
	for _, c := range []struct{ preStop, grace, term, kill float64 }{
		{0, 30, 0, 30},   // no hook: SIGTERM at once, SIGKILL at the grace period
		{20, 30, 20, 30}, // the hook fits
		{45, 30, 30, 32}, // the grace period cuts the hook: SIGKILL 2 s after SIGTERM
		{10, 0, 0, 0},    // grace 0 kills at once
	} {
		if term, kill := Signals(c.preStop, c.grace); term != c.term || kill != c.kill {
			t.Errorf("Signals(%g, %g) = %g, %g; want %g, %g", c.preStop, c.grace, term, kill, c.term, c.kill)
		}
	}
}

func TestFirstTraffic(t *testing.T) {
	n := Default().Compute(Input{LB: ALB, TargetType: TargetInstance})
	// No probe: ready when the container runs; pod start 1–3 + kube-proxy 1–5.
	if r := n.FirstTraffic(Readiness{}); r.Low != 2 || r.High != 8 {
		t.Errorf("no probe: %v, want 2–8", r)
	}
	// Period 10, no initial delay: the app listens after 1–5 s, so the
	// first passing check is at 10 s whatever the start-up.
	if r := n.FirstTraffic(Readiness{Period: 10, SuccessThreshold: 1}); r.Low != 12 || r.High != 18 {
		t.Errorf("period 10: %v, want 12–18", r)
	}
	// Initial delay 3, period 1, two passes: an app listening at 5 s passes
	// at 5 s and again at 6 s.
	if got := (Readiness{InitialDelay: 3, Period: 1, SuccessThreshold: 2}).ReadyAfter(5); got != 6 {
		t.Errorf("ReadyAfter(5) = %d, want 6", got)
	}
}

func TestKubeProxySyncs(t *testing.T) {
	for _, c := range []struct{ lo, hi, oLo, oHi, sync, min float64 }{
		{1, 5, 1, 2, 1, 1}, // the built-in 1–5 s: 1 s min sync, a third of 3 s each
		{0, 2, 0, 1.0 / 3, 1.0 / 3, 1},
		{2, 2, 2, 2, 0, 0},     // a point: a fixed delay
		{0, 0.5, 0, 0, 0, 0.5}, // narrower than the min sync period
	} {
		oLo, oHi, sync, min := KubeProxySyncs(c.lo, c.hi)
		if math.Abs(oLo-c.oLo)+math.Abs(oHi-c.oHi)+math.Abs(sync-c.sync)+math.Abs(min-c.min) > 1e-9 {
			t.Errorf("KubeProxySyncs(%v, %v) = %v, %v, %v, %v; want %v, %v, %v, %v", c.lo, c.hi, oLo, oHi, sync, min, c.oLo, c.oHi, c.sync, c.min)
		}
		// The longest wait: observed late, just after a sync began, then
		// that sync, the min sync period and its own sync.
		if worst := oHi + 2*sync + min; worst > c.hi+1e-9 {
			t.Errorf("KubeProxySyncs(%v, %v): longest wait %v is above the range", c.lo, c.hi, worst)
		}
	}
}

// A profile may state kube-proxy's measured parts (fractions of a second);
// SplitKubeProxy then uses them, with the min sync period as before, and
// without them shares the range evenly. Bad input names the key.
func TestProfileKubeProxyParts(t *testing.T) {
	ps, err := ParseProfile("p.yaml", []byte("endpointPropagation: {low: 0, high: 2}\nkubeProxy: {observe: {low: 0.02, high: 0.06}, sync: {low: 0.03, high: 0.08}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range PresetNames {
		lb, tt, _ := strings.Cut(k, "/")
		kp := ps.For(LB(lb), tt).KubeProxy
		if kp == nil || kp.Observe != (Span{0.02, 0.06}) || kp.Sync != (Span{0.03, 0.08}) || !strings.Contains(kp.From, "p.yaml") {
			t.Fatalf("%s: kubeProxy %+v, want observe 0.02–0.06, sync 0.03–0.08 from p.yaml", k, kp)
		}
	}
	kp := ps.For(ALB, TargetInstance).KubeProxy
	if got, want := SplitKubeProxy(0, 2, kp), (KubeProxySplit{0.02, 0.06, 0.03, 0.08, 1}); got != want {
		t.Errorf("SplitKubeProxy with parts = %+v, want %+v", got, want)
	}
	if got, want := SplitKubeProxy(0, 2, nil), (KubeProxySplit{0, 1.0 / 3, 0, 1.0 / 3, 1}); got != want {
		t.Errorf("SplitKubeProxy without parts = %+v, want %+v", got, want)
	}
	if Default().For(ALB, TargetInstance).KubeProxy != nil {
		t.Errorf("the built-in presets state kube-proxy parts; want none (no public source)")
	}
	for _, bad := range []string{
		"kubeProxy: 1",
		"kubeProxy: {observe: {low: 0.02, high: 0.06}}",
		"kubeProxy: {observe: {low: 0.1, high: 0.06}, sync: {low: 0, high: 0.1}}",
		"kubeProxy: {observe: {low: -1, high: 0.06}, sync: {low: 0, high: 0.1}}",
		"kubeProxy: {observe: {low: 0, high: 0.06}, sync: {low: 0, high: 0.1}, extra: 1}",
		"kubeProxy: {observe: {low: 0, high: 0.06, mid: 0}, sync: {low: 0, high: 0.1}}",
		"kubeProxy: {observe: {low: 0, high: x}, sync: {low: 0, high: 0.1}}",
	} {
		if _, err := ParseProfile("p.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "p.yaml") || !strings.Contains(err.Error(), "kubeProxy") {
			t.Errorf("%s: error %v, want one naming the file and kubeProxy", bad, err)
		}
	}
}
