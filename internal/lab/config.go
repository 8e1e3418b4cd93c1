package lab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/sim"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// Scenario is one exposure read from manifests: the target group the
// emulator plays and the simulator's case for the same objects and profile.
type Scenario struct {
	TargetGroup TargetGroup
	Case        sim.Case
}

// FromManifests reads the manifests under dir the way check and simulate
// read them (inventory, graph, exposures, the timing profile at
// profilePath) and returns the one exposure they hold. The emulator thus
// runs on exactly the settings and delays the model uses; only what the
// model does not need (the health-check path and protocol, connection
// termination) is read here from the same annotations.
func FromManifests(ctx context.Context, dir, profilePath string) (*Scenario, error) {
	ps := timing.Default()
	if profilePath != "" {
		var err error
		if ps, err = timing.LoadProfile(profilePath); err != nil {
			return nil, err
		}
	}
	lr := load.Paths(ctx, []string{dir}, nil, load.Options{Prepare: inventory.Preparer("default")})
	if len(lr.Errors) > 0 {
		return nil, fmt.Errorf("%s: %s", dir, lr.Errors[0].Error())
	}
	// check's own model, as simulate reads it (sim.Analyze).
	var exps []*exposure.Exposure
	var cases []sim.Case
	check.AnalyzeWith(lr, check.Options{Namespace: "default", Timing: ps}, func(m *check.Model) []finding.Finding {
		exps, cases = m.Exposures, sim.FromModel(m)
		return nil
	})
	if len(exps) != 1 || len(cases) != 1 {
		return nil, fmt.Errorf("%s: want exactly one workload behind one load balancer, found %d exposures and %d cases", dir, len(exps), len(cases))
	}
	e, c := exps[0], cases[0]
	if c.Skip != "" {
		return nil, fmt.Errorf("%s: %s", dir, c.Skip)
	}
	p := c.Params
	if p.NoTargets || p.Frozen {
		return nil, fmt.Errorf("%s: the controller would build no working target group here (%s)", dir, strings.Join(c.Notes, "; "))
	}
	if e.Service == nil || e.Port == nil {
		return nil, fmt.Errorf("%s: %s has no Service port", dir, e.Describe())
	}
	secs := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	tg := TargetGroup{
		Namespace: e.Service.Namespace, Service: e.Service.Name, ServicePort: *e.Port,
		IP: p.TargetType == timing.TargetIP, HTTP: p.LB != timing.NLB,
		Interval: secs(p.HealthInterval), Timeout: time.Duration(e.Timeout.Seconds) * time.Second,
		HealthyThreshold: p.HealthyThreshold, UnhealthyThreshold: p.UnhealthyThreshold,
		NewTargetChecks:     p.HealthyThreshold,
		DeregistrationDelay: secs(p.DeregistrationDelay),
		Reconcile:           p.Reconcile, RegisterPropagation: p.RegisterPropagation, DeregisterPropagation: p.DeregisterPropagation,
		GateRequeue: secs(p.GateRequeue), IdleTimeout: secs(p.IdleTimeout),
	}
	if tg.Timeout >= tg.Interval {
		tg.Timeout = tg.Interval / 2
	}
	if tg.GateRequeue <= 0 {
		tg.GateRequeue = time.Second
	}
	// Annotations as the controller reads them: on the Service first, then
	// on the Ingress (ALB), with the controller's defaults.
	get := func(key string) (string, bool) {
		for _, m := range []*inventory.Meta{&e.Service.Meta, frontMeta(e)} {
			if m == nil {
				continue
			}
			if v, ok := m.Annotations[key]; ok {
				return strings.TrimSpace(v), true
			}
		}
		return "", false
	}
	if tg.HTTP {
		// A new ALB target is healthy after one passed check (the model's
		// assumption, pkg/timing).
		tg.NewTargetChecks = 1
		tg.ConnectionTermination = true
		proto, _ := get(exposure.ALBPrefix + "healthcheck-protocol")
		path, ok := get(exposure.ALBPrefix + "healthcheck-path")
		if !ok {
			path = "/"
		}
		if strings.EqualFold(proto, "tcp") {
			path = ""
		}
		tg.HealthPath = path
		tg.HealthPort = port(get(exposure.ALBPrefix + "healthcheck-port"))
	} else {
		proto, _ := get(exposure.SvcPrefix + "aws-load-balancer-healthcheck-protocol")
		if strings.EqualFold(proto, "http") || strings.EqualFold(proto, "https") {
			path, ok := get(exposure.SvcPrefix + "aws-load-balancer-healthcheck-path")
			if !ok {
				path = "/"
			}
			tg.HealthPath = path
		}
		tg.HealthPort = port(get(exposure.SvcPrefix + "aws-load-balancer-healthcheck-port"))
		tg.ConnectionTermination = e.ConnectionTermination()
	}
	return &Scenario{TargetGroup: tg, Case: c}, nil
}

func frontMeta(e *exposure.Exposure) *inventory.Meta {
	if e.Ingress != nil {
		return &e.Ingress.Meta
	}
	return nil
}

// port reads a health-check port annotation; "traffic-port" and absent
// mean the traffic port (0).
func port(v string, ok bool) int {
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0
	}
	return n
}
