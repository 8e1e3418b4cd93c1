package rules

import (
	"fmt"
	"strconv"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// DeregistrationDelay flags a deregistration delay that does not fit the
// pod: where the end of the delay cuts what is in flight (an ALB; an NLB
// with connection termination), one shorter than the LB's deregistration lag
// plus the longest request cuts requests; the 300 s default holds a dead pod
// in "draining" long after it exited and blocks its IP, which costs no
// requests.
var DeregistrationDelay = register(&Rule{
	ID: "ZD008", Name: "deregistration-delay", Severity: finding.Error, Scope: Exposed,
	Title: "Deregistration delay left at 300 s or not matched to the pod's lifetime",
	Run:   runDeregistrationDelay,
})

func runDeregistrationDelay(p *Pass) {
	for _, e := range p.Exposures {
		if len(e.Workloads) == 0 {
			continue
		}
		if e.LB == timing.CLB || (e.TargetType.Value != timing.TargetIP && e.Controller == exposure.LBC) {
			continue // instance targets (nodes) are not deregistered when pods roll
		}
		n := p.Numbers(e)
		d := e.DeregistrationDelay
		// The workloads share the target group: the slowest requests decide.
		app := p.App(e.Workloads[0])
		for _, w := range e.Workloads[1:] {
			if a := p.App(w); a.LongestRequest.High > app.LongestRequest.High {
				app = a
			}
		}
		need := n.RequiredDeregistrationDelay(app)
		ev := append(lbContext(e), finding.Seconds(d), finding.Span(n.Profile.DeregisterPropagation), finding.Span(app.LongestRequest), finding.Span(need))
		recommend := need.High
		if e.Controller == exposure.InTree {
			p.Report(e.Front, "", finding.Info,
				fmt.Sprintf("%s is an in-tree NLB, which cannot set the deregistration delay: the AWS default of 300 s applies.", e.Front.Ref),
				"move the Service to the AWS Load Balancer Controller (aws-load-balancer-type: external) to control target-group attributes", ev...)
			continue
		}
		anno := exposure.NLBTGAttrsAnno
		if e.LB == timing.ALB {
			anno = exposure.ALBTGAttrsAnno
		}
		fix := fmt.Sprintf("set %s: %s=%d (merged with any attributes already there)", anno, exposure.DeregAttr, recommend)
		patch := deregPatch(e, anno, recommend)
		if e.Front.Kind == "TargetGroupBinding" {
			fix = fmt.Sprintf("set %s=%d on the target group in AWS: a target group you bind keeps the attributes it was created with", exposure.DeregAttr, recommend)
		}
		// The pod is gone at most one grace period after deregistration starts.
		// It stops serving sooner: an app that exits at once when its preStop
		// ends, a draining app once it has finished what is in flight. A
		// delay that ends after that cuts nothing (ZD003 and ZD004 judge
		// what the pod itself drops).
		var life, serving int64
		for _, w := range e.Workloads {
			life = max(life, graceValue(w).Seconds)
			serving = max(serving, servingFor(p, w))
		}
		lifeV := timing.Value{Name: "pod lifetime after deletion", Seconds: life, Source: timing.FromDerived, Detail: "longest terminationGracePeriodSeconds of the workloads"}
		// What ends when the delay ends: an ALB cuts the requests in flight
		// (502); an NLB resets open connections only with connection
		// termination enabled, and otherwise keeps established flows.
		cuts := e.LB == timing.ALB || e.ConnectionTermination()
		if e.LB == timing.NLB {
			term := "false (AWS default for TCP target groups)"
			if e.ConnectionTermination() {
				term = "true"
			}
			ev = append(ev, finding.Fact("connection termination", term, sourceOfAttr(e, exposure.ConnTermAttr), exposure.ConnTermAttr))
		}
		mechanism := "the ALB cuts the requests still in flight on the target and the client gets a 502"
		if e.LB == timing.NLB {
			mechanism = "with connection termination enabled the NLB resets the connections still open on the target, and clients see resets"
		}
		prop := n.Profile.DeregisterPropagation
		newWork := "new requests"
		if e.LB == timing.NLB {
			newWork = "new connections"
		}
		switch {
		case cuts && d.Seconds < need.High && n.Profile.Reconcile.Low+d.Seconds < serving:
			var sev finding.Severity
			var msg string
			switch {
			case d.Seconds == 0 || prop.Covers(d.Seconds) == timing.CoversNone:
				sev = finding.Error
				msg = fmt.Sprintf("The deregistration delay of %s is %ds, shorter than the %s the load balancer keeps sending %s after deregistration: on %s the delay ends while they are still arriving, and %s.", e.Describe(), d.Seconds, prop, newWork, podDeletion, mechanism)
			case prop.Covers(d.Seconds) == timing.CoversLow:
				sev = finding.Warning
				msg = fmt.Sprintf("The deregistration delay of %s is %ds, inside the %s the load balancer may keep sending %s after deregistration: it covers the low end only; when it ends, %s.", e.Describe(), d.Seconds, prop, newWork, mechanism)
			default:
				msg = fmt.Sprintf("The deregistration delay of %s is %ds, but the load balancer may send a request up to %s after deregistration starts, and a request may run %s: it needs %s; when it ends, %s.", e.Describe(), d.Seconds, prop, app.LongestRequest, need, mechanism)
				sev = finding.Warning
				if !app.Declared() {
					sev, msg = finding.Info, msg+" This rests on zerodrop's default longest request, not on yours: "+declareLongest
				}
			}
			p.ReportPatch(patch, e.Front, "", sev, msg, fix, ev...)
		case d.Source == timing.FromDefault:
			msg := fmt.Sprintf("%s keeps the AWS default deregistration delay of %ds, while its pods are gone %ds after deletion: dead targets sit in draining for minutes, a re-used pod IP cannot register until the delay ends, and rollouts of many pods pile up draining targets. This costs no requests.", e.Describe(), d.Seconds, life)
			if !cuts {
				fix = fmt.Sprintf("set %s: %s=%d if you want draining targets to clear sooner (merged with any attributes already there); without connection termination the NLB keeps established connections either way", anno, exposure.DeregAttr, recommend)
			}
			p.ReportPatch(patch, e.Front, "", finding.Info, msg, fix, append(ev, finding.Seconds(lifeV))...)
		case d.Seconds > life+app.LongestRequest.High && d.Seconds > 2*need.High:
			p.ReportPatch(patch, e.Front, "", finding.Info,
				fmt.Sprintf("The deregistration delay of %s (%ds) is far beyond the pod's life after deletion (%ds): it only keeps dead targets in draining.", e.Describe(), d.Seconds, life),
				fix, append(ev, finding.Seconds(lifeV))...)
		}
	}
}

// sourceOfAttr says whether a target-group attribute was written.
func sourceOfAttr(e *exposure.Exposure, attr string) timing.Source {
	if _, ok := e.TGAttributes[attr]; ok {
		return timing.FromAnnotation
	}
	return timing.FromDefault
}

// deregPatch sets the deregistration delay inside the target-group
// attributes annotation where it is in effect, keeping every other attribute.
func deregPatch(e *exposure.Exposure, anno string, secs int64) *finding.Patch {
	if e.Front.Kind == "TargetGroupBinding" {
		return nil
	}
	on := e.Front
	if e.TGAttributesOn != nil {
		on = e.TGAttributesOn
	}
	orig := on.Annotations[anno]
	attrs := exposure.ParseAttributes(orig)
	attrs[exposure.DeregAttr] = strconv.FormatInt(secs, 10)
	return annotationPatch(on, map[string]string{anno: exposure.FormatAttributes(orig, attrs)},
		fmt.Sprintf("%s=%d in %s", exposure.DeregAttr, secs, anno))
}

// servingFor is how long after deletion a pod of w may still have requests
// in flight: until its app exits at the end of the preStop (exit), until
// it has finished the longest request after it (drain), or until SIGKILL
// (ignore); never beyond the grace period and the kubelet's 2 s.
func servingFor(p *Pass, w *inventory.Workload) int64 {
	app := p.App(w)
	grace := graceValue(w).Seconds
	var ps int64
	for _, c := range servingContainers(w, exposurePorts(p.ExposuresOf(w))) {
		if r := podspec.ReadPreStop(c); r.Known {
			ps = max(ps, r.Seconds)
		}
	}
	var s int64
	switch app.Shutdown {
	case timing.ShutdownExit:
		s = ps + app.ShutdownAllowance.High
	case timing.ShutdownIgnore:
		s = grace
	default:
		s = ps + max(app.ShutdownAllowance.High, app.LongestRequest.High)
	}
	return min(s, grace+killGrace)
}
