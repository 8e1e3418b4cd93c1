package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// GracePeriod flags grace periods too short for the preStop delay plus the
// app's shutdown: the grace countdown starts before preStop, and SIGKILL ends
// whatever is left when it runs out. A draining app needs the larger of its
// shutdown allowance and its longest request after the preStop; an app that
// never gets SIGTERM (a shell wrapper as PID 1) serves until SIGKILL, so the
// grace period itself must outlast the load balancer.
var GracePeriod = register(&Rule{
	ID: "ZD004", Name: "grace-period", Severity: finding.Error, Scope: Everywhere,
	Title: "terminationGracePeriodSeconds shorter than preStop plus shutdown",
	Run:   runGracePeriod,
	// The mutating webhook may lengthen the grace period.
	Mutates: true,
	Warning: gracePeriodWarning,
})

// graceProblem is one container's reason for a longer grace period.
type graceProblem struct {
	sev       finding.Severity
	container string
	msg, fix  string
	ev        []finding.Evidence
	required  int64
}

// killGrace is the one-off extension the kubelet grants a preStop hook still
// running when the grace period ends, before SIGKILL (facts §4.1).
const killGrace = 2

func runGracePeriod(p *Pass) {
	for _, w := range p.Graph.Inv.Workloads {
		grace := graceValue(w)
		e := p.Slowest(w)
		app := p.App(w)
		var n timing.Numbers
		if e != nil {
			n = p.Numbers(e)
		}
		// What the app needs after SIGTERM, and whether that rests on
		// numbers the user declared.
		drain := timing.Max(string(KeyShutdown), app.ShutdownAllowance, app.LongestRequest)
		declared := app.Declared() || app.ShutdownAllowance.Source != timing.FromDefault
		if app.Shutdown == timing.ShutdownExit {
			drain = app.ShutdownAllowance.Named(string(KeyShutdown))
			declared = app.ShutdownAllowance.Source != timing.FromDefault
		}
		soft := func(msg string) (finding.Severity, string) {
			if declared {
				return finding.Warning, msg
			}
			return finding.Info, msg + " This rests on zerodrop's default, not on your numbers: " + declareLongest
		}
		base := []finding.Evidence{finding.Seconds(grace), shutdownEvidence(app), finding.Span(drain)}
		var worst *graceProblem
		var required int64
		consider := func(gp *graceProblem) {
			required = max(required, gp.required)
			if worst == nil || gp.sev > worst.sev || (gp.sev == worst.sev && gp.required > worst.required) {
				worst = gp
			}
		}
		if app.Shutdown == timing.ShutdownIgnore {
			if e == nil {
				continue // no load balancer: ZD007 says what the wrapper costs
			}
			// The grace period is pod-wide: report it once.
			need := n.RequiredGrace(timing.Range{}, app)
			if grace.Seconds >= need.High {
				continue
			}
			c := firstServing(p, w)
			ev := append(append(lbContext(e), base...), finding.Span(n.StopSending), finding.Span(need))
			msg := fmt.Sprintf("SIGTERM never reaches the app of container %s (%s): it serves until SIGKILL at the end of the %ds grace period, so on %s the grace period must outlast the %s %s keeps sending plus the longest request (%s), %s in all.", c, app.ShutdownFrom.Detail, grace.Seconds, podDeletion, n.StopSending, e.Describe(), app.LongestRequest, need)
			var sev finding.Severity
			switch n.StopSending.Covers(grace.Seconds) {
			case timing.CoversNone:
				sev, msg = finding.Error, msg+fmt.Sprintf(" Even at the low end, requests arrive after SIGKILL and fail (%s).", failureWording(e.LB))
			case timing.CoversLow:
				sev, msg = finding.Warning, msg+fmt.Sprintf(" The grace period covers the low end of the stop-sending time only; later requests fail (%s).", failureWording(e.LB))
			default:
				sev, msg = soft(msg + " Requests still running at SIGKILL are cut.")
			}
			consider(&graceProblem{sev: sev, container: c, required: need.High, msg: msg,
				fix: fmt.Sprintf("set terminationGracePeriodSeconds to at least %d, or let SIGTERM reach the app (see ZD007)", need.High), ev: ev})
		}
		// Every container's preStop runs within the one grace period,
		// native sidecars' too (and a sidecar's SIGTERM waits for the main
		// containers: podspec.PreStopFor).
		for _, c := range podspec.Running(&w.Template.Spec) {
			if app.Shutdown == timing.ShutdownIgnore {
				break
			}
			ps := podspec.PreStopFor(&w.Template.Spec, c)
			have := preStopValue(c, ps)
			if !ps.Known {
				have.Seconds = 0
			}
			var need timing.Range // the preStop this pod must have when exposed
			if e != nil {
				need = n.RequiredPreStopFor(app)
			}
			var gp *graceProblem
			switch {
			case ps.Known && grace.Seconds < ps.Seconds:
				// The kubelet ends the hook at the grace period, sends
				// SIGTERM and SIGKILLs 2 s later: the preStop is cut to the
				// grace period and the app has 2 s to finish.
				req := ps.Seconds + drain.High
				msg := fmt.Sprintf("The grace period (%ds) ends before container %s's preStop (%ds) does: the kubelet cuts the hook at %ds, sends SIGTERM, and SIGKILLs the container %ds later, so the app has %ds instead of the %s it needs to finish in-flight requests.", grace.Seconds, c.Name, ps.Seconds, grace.Seconds, killGrace, killGrace, drain)
				var sev finding.Severity
				switch {
				case e != nil && n.StopSending.Covers(grace.Seconds) == timing.CoversNone:
					sev, msg = finding.Error, msg+fmt.Sprintf(" On %s, %s keeps sending new requests for %s, past that SIGTERM: they fail (%s).", podDeletion, e.Describe(), n.StopSending, failureWording(e.LB))
				case e != nil && n.StopSending.Covers(grace.Seconds) == timing.CoversLow:
					sev, msg = finding.Warning, msg+fmt.Sprintf(" %s may keep sending new requests for %s, and the grace period covers the low end only.", e.Describe(), n.StopSending)
				case drain.High <= killGrace:
					continue
				default:
					// The hook the pod declares never runs to its end: a
					// contradiction in the manifest, whatever the numbers.
					sev, msg = finding.Warning, msg+" Requests running longer than that are killed."
				}
				gp = &graceProblem{sev: sev, container: c.Name, required: req, msg: msg,
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to at least %d (preStop %ds + shutdown %ds)", req, ps.Seconds, drain.High),
					ev:  append(base, finding.Seconds(have))}
			case e != nil && need.High > have.Seconds && grace.Seconds < need.High+drain.High:
				req := n.RequiredGrace(need, app)
				msg := fmt.Sprintf("Behind %s the pod needs a preStop of %ds and then %s to shut down, %ds in all, but its grace period is %ds: SIGKILL comes before the load balancer has let go or before the app has finished.", e.Describe(), need.High, drain, req.High, grace.Seconds)
				var sev finding.Severity
				switch {
				case n.StopSending.Covers(grace.Seconds) == timing.CoversNone:
					sev, msg = finding.Error, msg+fmt.Sprintf(" On %s, requests that arrive after SIGKILL fail (%s).", podDeletion, failureWording(e.LB))
				case grace.Seconds < need.High:
					// Not even the preStop the pod needs fits: once it is
					// raised (ZD003), the kubelet cuts it.
					sev = finding.Warning
				default:
					sev, msg = soft(msg)
				}
				gp = &graceProblem{sev: sev, container: c.Name, required: req.High, msg: msg,
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to %d", req.High),
					ev:  append(base, finding.Span(need), finding.Span(req))}
			case ps.Known && grace.Seconds < ps.Seconds+drain.High:
				sev, msg := soft(fmt.Sprintf("After container %s's preStop (%ds) the app has only %ds of its %ds grace period to finish in-flight requests and exit, less than the %s it needs (%s); requests still running at SIGKILL are cut.", c.Name, ps.Seconds, grace.Seconds-ps.Seconds, grace.Seconds, drain, drain.Detail))
				gp = &graceProblem{sev: sev, container: c.Name, required: ps.Seconds + drain.High, msg: msg,
					fix: fmt.Sprintf("set terminationGracePeriodSeconds to %d", ps.Seconds+drain.High),
					ev:  append(base, finding.Seconds(have))}
			}
			if gp != nil {
				consider(gp)
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

// firstServing names the first container that serves w's load balancer.
func firstServing(p *Pass, w *inventory.Workload) string {
	cs := servingContainers(w, exposurePorts(p.ExposuresOf(w)))
	if len(cs) == 0 {
		return ""
	}
	return cs[0].Name
}

// gracePeriodWarning says the admission warning in numbers: the grace
// period against what preStop and shutdown need.
func gracePeriodWarning(f finding.Finding, text string) string {
	req, ok := KeyRequiredGrace.In(f)
	if !ok {
		return text
	}
	grace, _ := KeyGracePeriod.In(f)
	preStop, _ := KeyRequiredPreStop.In(f)
	shutdown, _ := KeyShutdown.In(f)
	return fmt.Sprintf("grace period %s < %vs needed (preStop %vs + shutdown %vs)", grace.Text(), req.Value, preStop.Value, shutdown.Value)
}
