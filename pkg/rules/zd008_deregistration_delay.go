package rules

import (
	"fmt"
	"strconv"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

// DeregistrationDelay flags a deregistration delay that does not fit the
// pod: shorter than the LB's deregistration lag plus the longest request
// cuts requests; the 300 s default holds a dead pod in "draining" long
// after it exited and blocks its IP.
var DeregistrationDelay = register(&Rule{
	ID: "ZD008", Name: "deregistration-delay", Severity: finding.Warning, Scope: Exposed,
	Title: "Deregistration delay left at 300 s or not matched to the pod's lifetime",
	Run:   runDeregistrationDelay,
})

func runDeregistrationDelay(p *Pass) {
	for _, e := range p.Exposures {
		if len(e.Workloads) == 0 {
			continue
		}
		n := p.Numbers(e)
		d := e.DeregistrationDelay
		need := n.RequiredDeregistrationDelay
		ev := append(lbContext(e), finding.Seconds(d), finding.Seconds(need))
		recommend := need.Seconds
		if e.LB == timing.CLB || (e.TargetType.Value != timing.TargetIP && e.Controller == exposure.LBC) {
			continue // instance targets (nodes) are not deregistered when pods roll
		}
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
		var life int64
		for _, w := range e.Workloads {
			life = max(life, graceValue(w).Seconds)
		}
		lifeV := timing.Value{Name: "pod lifetime after deletion", Seconds: life, Source: timing.FromDerived, Detail: "longest terminationGracePeriodSeconds of the workloads"}
		switch {
		case d.Seconds < need.Seconds:
			p.ReportPatch(patch, e.Front, "", finding.Warning,
				fmt.Sprintf("The deregistration delay of %s is %ds, but the load balancer may send a request up to %ds after deregistration starts, and a request may run %ds: it needs %ds, or requests still running when it ends are cut and the client gets a 502.", e.Describe(), d.Seconds, n.Profile.DeregisterPropagation.Seconds, n.LongestRequest.Seconds, need.Seconds),
				fix, ev...)
		case d.Source == timing.FromDefault:
			p.ReportPatch(patch, e.Front, "", finding.Warning,
				fmt.Sprintf("%s keeps the AWS default deregistration delay of %ds, while its pods are gone %ds after deletion: dead targets sit in draining for minutes, a re-used pod IP cannot register until the delay ends, and rollouts of many pods pile up draining targets.", e.Describe(), d.Seconds, life),
				fix, append(ev, finding.Seconds(lifeV))...)
		case d.Seconds > life+n.LongestRequest.Seconds && d.Seconds > 2*need.Seconds:
			p.ReportPatch(patch, e.Front, "", finding.Info,
				fmt.Sprintf("The deregistration delay of %s (%ds) is far beyond the pod's life after deletion (%ds): it only keeps dead targets in draining.", e.Describe(), d.Seconds, life),
				fix, append(ev, finding.Seconds(lifeV))...)
		}
	}
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
