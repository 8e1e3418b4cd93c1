package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// GracePeriod flags grace periods too short for the preStop delay plus the
// app's shutdown: the grace countdown starts before preStop, and SIGKILL ends
// whatever is left when it runs out.
var GracePeriod = register(&Rule{
	ID: "ZD004", Name: "grace-period", Severity: finding.Error, Scope: Everywhere,
	Title: "terminationGracePeriodSeconds shorter than preStop plus shutdown",
	Run:   runGracePeriod,
})

// graceProblem is one container's reason for a longer grace period.
type graceProblem struct {
	sev       finding.Severity
	container string
	msg, fix  string
	ev        []finding.Evidence
	required  int64
}

func runGracePeriod(p *Pass) {
	for _, w := range p.Graph.Inv.Workloads {
		grace := graceValue(w)
		e := p.Slowest(w)
		var need timing.Value // the preStop this pod must have when exposed
		var shutdown timing.Value
		if e != nil {
			need = p.Numbers(e).RequiredPreStop
			shutdown = p.Numbers(e).ShutdownAllowance
		} else {
			shutdown = p.Timing.For(timing.ALB, timing.TargetIP).ShutdownAllowance
		}
		// The grace period is pod-wide: report the worst container, and fix
		// for the longest need of all of them.
		var worst *graceProblem
		var required int64
		for i := range w.Template.Spec.Containers {
			c := &w.Template.Spec.Containers[i]
			ps := podspec.ReadPreStop(c)
			have := preStopValue(c, ps)
			if !ps.Known {
				have.Seconds = 0
			}
			var gp *graceProblem
			switch {
			case ps.Known && grace.Seconds < ps.Seconds:
				gp = &graceProblem{sev: finding.Error, container: c.Name, required: ps.Seconds + shutdown.Seconds,
					msg: fmt.Sprintf("The grace period (%ds) ends before container %s's preStop (%ds) does: the kubelet kills the container mid-hook (after a 2 s extension), the app never gets SIGTERM and in-flight requests are cut.", grace.Seconds, c.Name, ps.Seconds),
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to at least %d (preStop %ds + shutdown %ds)", ps.Seconds+shutdown.Seconds, ps.Seconds, shutdown.Seconds),
					ev:  []finding.Evidence{finding.Seconds(grace), finding.Seconds(have), finding.Seconds(shutdown)}}
			case e != nil && need.Seconds > have.Seconds && grace.Seconds < need.Seconds+shutdown.Seconds:
				req := p.Numbers(e).RequiredGrace(need)
				gp = &graceProblem{sev: finding.Error, container: c.Name, required: req.Seconds,
					msg: fmt.Sprintf("Behind %s the pod needs a preStop of %ds and then %ds to shut down, %ds in all, but its grace period is %ds: SIGKILL comes before the load balancer has let go or before the app has finished.", e.Describe(), need.Seconds, shutdown.Seconds, req.Seconds, grace.Seconds),
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to %d", req.Seconds),
					ev:  []finding.Evidence{finding.Seconds(grace), finding.Seconds(need), finding.Seconds(shutdown), finding.Seconds(req)}}
			case ps.Known && grace.Seconds < ps.Seconds+shutdown.Seconds:
				gp = &graceProblem{sev: finding.Warning, container: c.Name, required: ps.Seconds + shutdown.Seconds,
					msg: fmt.Sprintf("After container %s's preStop (%ds) the app has only %ds of its %ds grace period to finish in-flight requests and exit, less than the %ds shutdown allowance; slow requests are killed.", c.Name, ps.Seconds, grace.Seconds-ps.Seconds, grace.Seconds, shutdown.Seconds),
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to %d", ps.Seconds+shutdown.Seconds),
					ev:  []finding.Evidence{finding.Seconds(grace), finding.Seconds(have), finding.Seconds(shutdown)}}
			}
			if gp == nil {
				continue
			}
			required = max(required, gp.required)
			if worst == nil || gp.sev > worst.sev || (gp.sev == worst.sev && gp.required > worst.required) {
				worst = gp
			}
		}
		if worst == nil {
			continue
		}
		patch := podSpecPatch(w, map[string]any{"terminationGracePeriodSeconds": required},
			fmt.Sprintf("terminationGracePeriodSeconds %d → %d", grace.Seconds, required))
		p.ReportPatch(patch, podMeta(w), worst.container, worst.sev, worst.msg, worst.fix, worst.ev...)
	}
}
