package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// rollout1000NLB is the large case of bench/simulate.sh: the recommended
// echoserver behind an NLB with ip targets, scaled to 1,000 replicas, at
// 10,000 requests per second, with a minute of traffic before the rollout.
// The rollout takes about a quarter of an hour of virtual time and sees
// more than ten million requests.
func rollout1000NLB(tb testing.TB) Params {
	cs := casesOf(BuiltIn()[3].Load(load.Options{}))
	if len(cs) != 1 {
		tb.Fatalf("%d cases", len(cs))
	}
	p := cs[0].Params
	p.Replicas, p.RPS, p.Lead = 1000, 10000, 60
	p.Nodes, p.DrainNodes = 50, 50
	return p
}

// BenchmarkRollout1000NLB runs the rollout at 10,000 requests per second,
// and at 1,000 to show that memory does not grow with the request count.
func BenchmarkRollout1000NLB(b *testing.B) {
	for _, rps := range []float64{10000, 1000} {
		b.Run(fmt.Sprintf("rps=%.0f", rps), func(b *testing.B) {
			p := rollout1000NLB(b)
			p.RPS = rps
			benchRun(b, p)
		})
	}
}

// benchRun simulates p once per iteration and reports the requests each
// run saw and the time per request.
func benchRun(b *testing.B, p Params) {
	b.ReportAllocs()
	var reqs int64
	for i := 0; i < b.N; i++ {
		r, err := Simulate(p, 1)
		if err != nil {
			b.Fatal(err)
		}
		reqs += r.Total
	}
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(reqs), "ns/request")
}

// BenchmarkMonteCarlo is 200 runs of each variant of the built-in scenario
// (a rollout each), on GOMAXPROCS goroutines.
func BenchmarkMonteCarlo(b *testing.B) {
	var ps []Params
	for _, v := range BuiltIn() {
		ps = append(ps, casesOf(v.Load(load.Options{}))[0].Params)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, p := range ps {
			if _, err := MonteCarlo(p, uint64(i+1), 200, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestRollout1000NLBShape(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	r, err := Simulate(rollout1000NLB(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total < 10_000_000 || r.End < 900 || r.Failed() != 0 || r.Done < 0 {
		t.Errorf("%d requests over %vs, %d failed, done %v: want ≥ 10M over ≥ 15 min, none failed", r.Total, r.End, r.Failed(), r.Done)
	}
}

// plan1000Surge1 is `simulate --plan --plan-surge 1` of the recommended
// echoserver behind an NLB at 1,000 replicas with maxUnavailable 0: a
// thousand batches of NLB registration, days of virtual time.
func plan1000Surge1(tb testing.TB) (Case, []intstr.IntOrString) {
	cs := casesOf(BuiltIn()[3].Load(load.Options{}))
	c := cs[0]
	c.Params.Replicas, c.Params.RPS = 1000, DefaultRPS
	c.Params.Nodes, c.Params.DrainNodes = 50, 50
	zero := intstr.FromInt32(0)
	c.Params.MaxUnavailable = &zero
	return c, []intstr.IntOrString{intstr.FromInt32(1)}
}

// BenchmarkPlan1000Surge1 times that plan (target: under 2 s).
func BenchmarkPlan1000Surge1(b *testing.B) {
	c, surges := plan1000Surge1(b)
	for i := 0; i < b.N; i++ {
		if _, err := MakePlan(c, "current", surges, 1, 1, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// The plan finishes the rollout (no cap reached) and says it simulated
// traffic at PlanRPS.
func TestPlan1000Surge1Finishes(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	c, surges := plan1000Surge1(t)
	pl, err := MakePlan(c, "current", surges, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Rows) != 1 || pl.Rows[0].RolloutSeconds == nil || *pl.Rows[0].RolloutSeconds < 1000*90 {
		t.Fatalf("rows %+v: want one finished rollout of at least 1,000 registrations", pl.Rows)
	}
	if len(pl.Notes) == 0 || !strings.Contains(strings.Join(pl.Notes, " "), "req/s") {
		t.Errorf("notes %q: want the traffic cap said", pl.Notes)
	}
}

// BenchmarkRollout1000Instance is the same rollout behind instance
// targets (externalTrafficPolicy: Cluster) on 50 nodes, where each node's
// kube-proxy (16 followed) applies the endpoint changes in its own syncs.
func BenchmarkRollout1000Instance(b *testing.B) {
	for _, proxies := range []int{0, 1} {
		b.Run(fmt.Sprintf("kubeProxies=%d", proxies), func(b *testing.B) {
			p := rollout1000NLB(b)
			p.TargetType = "instance"
			p.Gate = false
			p.KubeProxies = proxies
			benchRun(b, p)
		})
	}
}
