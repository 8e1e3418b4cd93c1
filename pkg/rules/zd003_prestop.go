package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/podspec"
)

// PreStop flags serving containers that get SIGTERM before the load balancer
// stops sending them requests: deletion and deregistration start together, and
// only a preStop delay keeps the app serving until the LB has let go.
var PreStop = register(&Rule{
	ID: "ZD003", Name: "prestop", Severity: finding.Error, Scope: Exposed,
	Title: "No preStop delay, or one shorter than the load balancer's stop-sending time",
	Run:   runPreStop,
})

func runPreStop(p *Pass) {
	for _, w := range p.ExposedWorkloads() {
		e := p.Slowest(w)
		n := p.Numbers(e)
		for _, c := range servingContainers(w, exposurePorts(p.ExposuresOf(w))) {
			ps := podspec.ReadPreStop(c)
			ev := append(lbContext(e), finding.Seconds(n.StopSending), finding.Seconds(n.RequiredPreStop))
			switch {
			case !ps.Present:
				p.ReportPatch(preStopPatch(p.KubeVersion, w, c, n.RequiredPreStop.Seconds), podMeta(w), c.Name, finding.Error,
					fmt.Sprintf("Container %s has no preStop hook: on deletion it gets SIGTERM at once, while %s keeps sending it new requests for up to %ds; those requests fail (502/504 or reset).", c.Name, e.Describe(), n.StopSending.Seconds),
					preStopFix(p.KubeVersion, c.Name, n.RequiredPreStop.Seconds), ev...)
			case !ps.Known:
				p.Report(podMeta(w), c.Name, finding.Info,
					fmt.Sprintf("Container %s has a preStop %s hook whose duration zerodrop cannot read; it must keep the app serving for at least %ds after deletion.", c.Name, ps.Handler, n.RequiredPreStop.Seconds),
					preStopFix(p.KubeVersion, c.Name, n.RequiredPreStop.Seconds)+", or make sure the hook lasts that long", ev...)
			case ps.Seconds < n.RequiredPreStop.Seconds:
				ev = append(ev, finding.Seconds(preStopValue(c, ps)))
				fix := fmt.Sprintf("raise the preStop delay of container %s to %ds (and the grace period with it, see ZD004)", c.Name, n.RequiredPreStop.Seconds)
				if ps.Handler == "sleep" && !nativeSleepAvailable(p.KubeVersion) {
					// Raising a sleep the cluster does not run would not help.
					fix = preStopFix(p.KubeVersion, c.Name, n.RequiredPreStop.Seconds) + " (and the grace period with it, see ZD004)"
				}
				if ps.Seconds >= n.StopSending.Seconds {
					// Covers the estimate, but not the margin on top of it.
					p.ReportPatch(preStopPatch(p.KubeVersion, w, c, n.RequiredPreStop.Seconds), podMeta(w), c.Name, finding.Warning,
						fmt.Sprintf("Container %s's preStop waits %ds, just above the %ds %s is estimated to keep sending new requests after deletion, with %ds of the %ds margin; if deregistration runs slower than estimated, late requests reach a container that is shutting down.", c.Name, ps.Seconds, n.StopSending.Seconds, e.Describe(), ps.Seconds-n.StopSending.Seconds, n.RequiredPreStop.Seconds-n.StopSending.Seconds),
						fix, ev...)
					break
				}
				p.ReportPatch(preStopPatch(p.KubeVersion, w, c, n.RequiredPreStop.Seconds), podMeta(w), c.Name, finding.Error,
					fmt.Sprintf("Container %s's preStop waits %ds, but %s may keep sending new requests for %ds after deletion (%ds with margin): requests that arrive in the %ds after the preStop ends reach a container that is already shutting down.", c.Name, ps.Seconds, e.Describe(), n.StopSending.Seconds, n.RequiredPreStop.Seconds, n.StopSending.Seconds-ps.Seconds),
					fix, ev...)
			case ps.Handler == "sleep" && !nativeSleepAvailable(p.KubeVersion):
				p.ReportPatch(preStopPatch(p.KubeVersion, w, c, ps.Seconds), podMeta(w), c.Name, finding.Warning,
					fmt.Sprintf("Container %s uses the native preStop sleep action, which is on by default only from Kubernetes 1.30; on %s the API server drops or rejects it and the pod gets no delay.", c.Name, p.KubeVersion),
					fmt.Sprintf(`use lifecycle.preStop.exec.command ["sleep", "%d"] on clusters before 1.30`, ps.Seconds), ev...)
			case ps.Shell:
				p.ReportPatch(preStopPatch(p.KubeVersion, w, c, ps.Seconds), podMeta(w), c.Name, finding.Info,
					fmt.Sprintf("Container %s's preStop runs a shell; images without /bin/sh (distroless, scratch) fail the hook and get SIGTERM at once.", c.Name),
					preStopFix(p.KubeVersion, c.Name, ps.Seconds), ev...)
			}
		}
	}
}
