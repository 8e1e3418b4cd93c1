package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// PreStop flags serving containers that get SIGTERM before the load balancer
// stops sending them requests: deletion and deregistration start together, and
// only a preStop delay keeps the app serving until the LB has let go. For an
// app that exits at once on SIGTERM, the delay must also let the requests
// already in flight finish.
var PreStop = register(&Rule{
	ID: "ZD003", Name: "prestop", Severity: finding.Error, Scope: Exposed,
	Title: "No preStop delay, or one shorter than the load balancer's stop-sending time",
	Run:   runPreStop,
	// The mutating webhook may add the preStop delay.
	Mutates: true,
	Warning: preStopWarning,
})

// podDeletion names the events that delete a pod.
const podDeletion = "every pod deletion (rollout, scale-in, node drain)"

func runPreStop(p *Pass) {
	for _, w := range p.ExposedWorkloads() {
		e := p.Slowest(w)
		n := p.Numbers(e)
		app := p.App(w)
		if app.Shutdown == timing.ShutdownIgnore {
			// SIGTERM never reaches the app: it serves until SIGKILL, and
			// the grace period decides (ZD004, ZD007).
			continue
		}
		need := n.RequiredPreStopFor(app)
		stop := n.StopSending
		for _, c := range servingContainers(w, exposurePorts(p.ExposuresOf(w))) {
			ps := podspec.PreStopFor(&w.Template.Spec, c)
			ev := append(lbContext(e), finding.Span(stop), finding.Span(need), shutdownEvidence(app))
			if app.Shutdown == timing.ShutdownExit {
				ev = append(ev, finding.Span(app.LongestRequest))
			}
			patch := func(secs int64) *finding.Patch { return preStopPatch(p.KubeVersion, w, c, secs) }
			switch {
			case !ps.Present:
				p.ReportPatch(patch(need.High), podMeta(w), c.Name, finding.Error,
					fmt.Sprintf("Container %s has no preStop hook: on %s it gets SIGTERM at once, while %s keeps sending it new requests for %s; those requests reach an app that is shutting down and fail (%s).%s", c.Name, podDeletion, e.Describe(), stop, failureWording(e.LB), conntrackNote(e)),
					preStopFix(p.KubeVersion, c.Name, need.High), ev...)
				continue
			case !ps.Known:
				hook := fmt.Sprintf("Container %s has a preStop %s hook", c.Name, ps.Handler)
				if ps.AfterMain {
					hook = fmt.Sprintf("Container %s is a native sidecar that gets SIGTERM after the main containers exit, and container %s has a preStop %s hook", c.Name, ps.From, ps.Handler)
				}
				p.Report(podMeta(w), c.Name, finding.Info,
					fmt.Sprintf("%s whose duration zerodrop cannot read; it must keep the app serving for at least %ds after deletion (%s).", hook, need.High, need),
					preStopFix(p.KubeVersion, c.Name, need.High)+", or make sure the hook lasts that long", ev...)
				continue
			}
			have := preStopValue(c, ps)
			ev = append(ev, finding.Seconds(have))
			report := p.ReportPatch
			if ps.AfterMain {
				// The delay is the main containers' hook the sidecar waits
				// for; say so after whichever sentence applies.
				report = func(patch *finding.Patch, obj *inventory.Meta, container string, sev finding.Severity, msg, fix string, ev ...finding.Evidence) {
					msg += fmt.Sprintf(" (Container %s is a native sidecar without a longer preStop of its own: it gets SIGTERM only once the main containers have exited, so its preStop is taken as container %s's.)", c.Name, ps.From)
					p.ReportPatch(patch, obj, container, sev, msg, fix, ev...)
				}
			}
			fix := fmt.Sprintf("raise the preStop delay of container %s to %ds (and the grace period with it, see ZD004)", c.Name, need.High)
			if ps.Handler == "sleep" && !nativeSleepAvailable(p.KubeVersion) {
				// Raising a sleep the cluster does not run would not help.
				fix = preStopFix(p.KubeVersion, c.Name, need.High) + " (and the grace period with it, see ZD004)"
			}
			switch {
			case stop.Covers(ps.Seconds) == timing.CoversNone:
				report(patch(need.High), podMeta(w), c.Name, finding.Error,
					fmt.Sprintf("On %s, container %s's preStop waits %ds, but %s keeps sending new requests for %s after deletion: even at the low end, requests that arrive in the %ds after the preStop ends reach an app that got SIGTERM and fail (%s).%s", podDeletion, c.Name, ps.Seconds, e.Describe(), stop, stop.Low-ps.Seconds, failureWording(e.LB), conntrackNote(e)),
					fix, ev...)
			case stop.Covers(ps.Seconds) == timing.CoversLow:
				report(patch(need.High), podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("%s may keep sending new requests for %s after deletion; container %s's preStop of %ds covers the low end only: if deregistration runs toward the high end, requests that arrive after the preStop ends fail (%s).", e.Describe(), stop, c.Name, ps.Seconds, failureWording(e.LB)),
					fix, ev...)
			case ps.Seconds < need.High && app.Shutdown == timing.ShutdownExit && ps.Seconds < stop.High+app.LongestRequest.High:
				msg := fmt.Sprintf("Container %s's app exits at once on SIGTERM (%s), so its preStop of %ds must outlast the %s stop-sending time plus the longest request (%s): requests still running when SIGTERM comes are cut (%s).", c.Name, app.ShutdownFrom.Detail, ps.Seconds, stop, app.LongestRequest, failureWording(e.LB))
				sev := finding.Warning
				if !app.Declared() {
					sev, msg = finding.Info, msg+" The longest request is zerodrop's default, not yours: "+declareLongest
				}
				report(patch(need.High), podMeta(w), c.Name, sev, msg, fix, ev...)
			case ps.Seconds < need.High:
				// Covers the high end, but not the margin on top of it.
				report(patch(need.High), podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s's preStop waits %ds, just above the %s %s is estimated to keep sending new requests after deletion, with %ds of the %ds margin; if deregistration runs slower than estimated, late requests reach a container that is shutting down.", c.Name, ps.Seconds, stop, e.Describe(), ps.Seconds-stop.High, need.High-stop.High),
					fix, ev...)
			case ps.Handler == "sleep" && !nativeSleepAvailable(p.KubeVersion):
				report(patch(ps.Seconds), podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s uses the native preStop sleep action, which is on by default only from Kubernetes 1.30; on %s the API server drops or rejects it and the pod gets no delay.", hookOwner(c, ps), p.KubeVersion),
					fmt.Sprintf(`use lifecycle.preStop.exec.command ["sleep", "%d"] on clusters before 1.30`, ps.Seconds), ev...)
			case ps.Shell:
				report(patch(ps.Seconds), podMeta(w), c.Name, finding.Info,
					fmt.Sprintf("Container %s's preStop runs a shell; images without /bin/sh (distroless, scratch) fail the hook and get SIGTERM at once.", hookOwner(c, ps)),
					preStopFix(p.KubeVersion, c.Name, ps.Seconds), ev...)
			}
		}
	}
}

// conntrackNote adds, behind instance targets, what a pod that goes away
// while kube-proxy still lists it does to new connections: each SYN sent to
// it leaves a conntrack entry that sends later connections from the same
// source port to the dead pod for the SYN_SENT timeout, after kube-proxy
// has dropped it (sim.CauseStaleConntrack). The preStop the finding asks
// for outlasts endpoint propagation, so the pod is out of the rules before
// it stops.
func conntrackNote(e *exposure.Exposure) string {
	if e.TargetType.Value != timing.TargetInstance {
		return ""
	}
	return fmt.Sprintf(" Through kube-proxy, new connections sent to the pod after it has gone leave conntrack entries that keep sending connections from the same source ports to the dead pod for up to %ds (the %s) after kube-proxy has dropped it; a preStop that outlasts endpoint propagation avoids both.", timing.ConntrackSynSent.High, timing.ConntrackSynSent.Name)
}

// hookOwner names the container whose hook ps is: c's own, or, for a
// native sidecar that waits for the main containers, theirs.
func hookOwner(c *inventory.Container, ps podspec.PreStop) string {
	if ps.AfterMain {
		return ps.From
	}
	return c.Name
}

// declareLongest says how to declare the longest request.
const declareLongest = "declare it with the annotation " + timing.LongestRequestAnnotation + " (e.g. 45s) on the workload, --longest-request, or longestRequest in the timing profile."

// shutdownEvidence is the shutdown mode in effect, with its source.
func shutdownEvidence(app timing.App) finding.Evidence {
	return KeyShutdownMode.Fact(string(app.Shutdown), app.ShutdownFrom.Source, app.ShutdownFrom.Detail)
}

// preStopWarning adds to the admission warning how long the load balancer
// keeps sending after a pod is deleted.
func preStopWarning(f finding.Finding, text string) string {
	if lb, ok := KeyLoadBalancer.In(f); ok {
		if stop, ok := KeyStopSending.In(f); ok {
			text += fmt.Sprintf("; %v sends for %s after delete", lb.Value, stop.Text())
		}
	}
	return text
}
