package sim

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Plan is how a workload's rollout changes with maxSurge: for large
// Deployments, a bigger surge means fewer batches of registration waits and
// a faster rollout, at the cost of more pods at once.
type Plan struct {
	Workload string     `json:"workload"`
	Exposure string     `json:"exposure"`
	Variant  string     `json:"variant"`
	Replicas int        `json:"replicas"`
	Rows     []PlanRow  `json:"rows"`
	Notes    []string   `json:"notes,omitempty"`
	Skipped  string     `json:"skipped,omitempty"`
	Base     PlanRowKey `json:"current"`
}

// PlanRowKey is a rolling-update setting.
type PlanRowKey struct {
	MaxSurge       string `json:"maxSurge"`
	MaxUnavailable string `json:"maxUnavailable"`
}

// PlanRow is the outcome of one maxSurge value.
type PlanRow struct {
	PlanRowKey
	// Surge and Unavailable are the resolved pod counts.
	Surge       int `json:"surge"`
	Unavailable int `json:"unavailable"`
	// RolloutSeconds and PeakPods are from the first run; the stats
	// cover every run when more than one ran.
	RolloutSeconds *float64 `json:"rolloutSeconds"`
	PeakPods       int      `json:"peakPods"`
	Failed         int64    `json:"failedRequests"`
	Stats          *struct {
		RolloutSeconds Stats `json:"rolloutSeconds"`
		PeakPods       Stats `json:"peakPods"`
		Failed         Stats `json:"failed"`
	} `json:"percentiles,omitempty"`
}

// PlanRPS is the most traffic a plan simulates: a plan is about rollout
// duration and pod count, and a rollout of a thousand pods one at a time
// lasts days of virtual time.
const PlanRPS = 10

// DefaultPlanSurges are the maxSurge values --plan tries.
var DefaultPlanSurges = []string{"1", "5%", "10%", "25%", "50%", "100%"}

// ParseSurges reads a comma-separated list of maxSurge values.
func ParseSurges(s string) ([]intstr.IntOrString, error) {
	var out []intstr.IntOrString
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v := intstr.Parse(f)
		if v.Type == intstr.String && !strings.HasSuffix(f, "%") {
			return nil, fmt.Errorf("maxSurge %q: want a whole number or a percentage", f)
		}
		if _, err := intstr.GetScaledValueFromIntOrPercent(&v, 100, true); err != nil {
			return nil, fmt.Errorf("maxSurge %q: %v", f, err)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no maxSurge values")
	}
	return out, nil
}

// MakePlan simulates a rollout of the case for each maxSurge, keeping its
// maxUnavailable (a Recreate strategy is planned as a rolling update with
// maxUnavailable 0).
func MakePlan(c Case, variant string, surges []intstr.IntOrString, seed uint64, runs, workers int) (Plan, error) {
	pl := Plan{Workload: c.Workload, Exposure: c.Exposure, Variant: variant, Replicas: c.Params.Replicas,
		Rows: []PlanRow{}, Notes: c.Notes, Skipped: c.Skip}
	p := c.Params
	p.Event = Rollout
	if p.Strategy != "RollingUpdate" {
		zero := intstr.FromInt32(0)
		p.Strategy, p.MaxUnavailable = "RollingUpdate", &zero
		pl.Notes = append(pl.Notes, "the Recreate strategy is planned as a rolling update with maxUnavailable 0")
	}
	if p.RPS > PlanRPS {
		pl.Notes = append(pl.Notes, fmt.Sprintf("the plan simulates traffic at %d req/s instead of %g to stay fast on long rollouts: the failed column counts requests at that rate (simulate the rollout without --plan for the full rate)", PlanRPS, p.RPS))
		p.RPS = PlanRPS
	}
	pl.Base = PlanRowKey{MaxSurge: str(c.Params.MaxSurge), MaxUnavailable: str(c.Params.MaxUnavailable)}
	if pl.Skipped != "" {
		return pl, nil
	}
	for _, sv := range surges {
		q := p
		v := sv
		q.MaxSurge = &v
		su, un, err := q.Batch()
		if err != nil {
			return pl, err
		}
		s, err := MonteCarlo(q, seed, runs, workers)
		if err != nil {
			return pl, err
		}
		if s.CappedRuns > 0 {
			pl.Notes = append(pl.Notes, fmt.Sprintf("maxSurge %s: %d of %d runs reached the simulator's limit of %s of virtual time and were stopped there", v.String(), s.CappedRuns, s.Runs, hours(MaxVirtual)))
		}
		row := PlanRow{PlanRowKey: PlanRowKey{MaxSurge: v.String(), MaxUnavailable: str(q.MaxUnavailable)},
			Surge: su, Unavailable: un, PeakPods: s.First.PeakPods, Failed: s.First.Failed()}
		if d := s.First.Duration(); d >= 0 {
			row.RolloutSeconds = &d
		}
		if runs > 1 {
			row.Stats = &struct {
				RolloutSeconds Stats `json:"rolloutSeconds"`
				PeakPods       Stats `json:"peakPods"`
				Failed         Stats `json:"failed"`
			}{s.Duration, s.PeakPods, s.Failed}
		}
		pl.Rows = append(pl.Rows, row)
	}
	return pl, nil
}

func str(v *intstr.IntOrString) string {
	if v == nil {
		return "0"
	}
	return v.String()
}
