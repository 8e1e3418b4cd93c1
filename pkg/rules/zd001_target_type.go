package rules

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// TargetType flags instance targets: the LB sends traffic to nodes, not pods,
// so it cannot follow pods through a rollout and readiness gates cannot work.
var TargetType = register(&Rule{
	ID: "ZD001", Name: "target-type", Severity: finding.Error, Scope: Exposed,
	Title: "Load balancer targets nodes (instance mode) instead of pods (ip mode)",
	Run:   runTargetType,
})

func runTargetType(p *Pass) {
	for _, e := range p.Exposures {
		if len(e.Workloads) == 0 {
			continue
		}
		switch tt := e.TargetType.Value; {
		case tt == timing.TargetIP:
			continue
		case tt != timing.TargetInstance:
			p.ReportPatch(targetTypePatch(e), e.Front, "", finding.Error,
				fmt.Sprintf("%s asks for target type %q, which the controller rejects (valid: ip, instance); the target group is never reconciled and changes never reach the load balancer: a new load balancer has no target at all, and an existing one stops following the pods, so every rollout, scale-in and drain leaves it with targets that are gone and finally none (%s).", e.Front.Ref, tt, failureWording(e.LB)),
				"set the target type to ip", lbContext(e)...)
			continue
		}
		if e.LB == timing.ALB && e.Service != nil && e.Service.Spec.Type == corev1.ServiceTypeClusterIP {
			// Instance targets are node ports; a ClusterIP Service has none,
			// and the controller fails to build the target group.
			p.ReportPatch(targetTypePatch(e), e.Front, "", finding.Error,
				fmt.Sprintf("%s uses instance targets, which route to the Service's node port, but %s is of type ClusterIP and has none: the controller cannot build the target group, so the Ingress is never reconciled and its backend gets no traffic (or keeps stale settings): the load balancer has no target for this backend, before, during and after every rollout, scale-in and drain (%s).", e.Describe(), e.Service.Ref, failureWording(e.LB)),
				"annotate the Ingress (or the Service) with alb.ingress.kubernetes.io/target-type: ip, which works with a ClusterIP Service",
				append(lbContext(e), finding.Fact("service type", string(e.Service.Spec.Type), timing.FromManifest, "spec.type of "+e.Service.Ref.String()))...)
			continue
		}
		ev := append(lbContext(e), finding.Span(p.Numbers(e).StopSending))
		msg := fmt.Sprintf("%s sends traffic to node ports (instance targets), not to pods: the load balancer never learns when a pod starts or stops, readiness gates cannot be used, and pod changes reach it only through kube-proxy on every node; rollouts and node drains race it and drop requests.", e.Describe())
		var fix string
		switch {
		case e.Front.Kind == "TargetGroupBinding":
			// The target type belongs to the target group in AWS and cannot
			// be changed there; no annotation on the Service changes it.
			fix = "bind a target group of target type ip instead (an existing target group's type cannot be changed) and set spec.targetType: ip on the TargetGroupBinding; the Service can then be ClusterIP"
		case e.LB == timing.ALB:
			fix = "annotate the Ingress (or the Service) with alb.ingress.kubernetes.io/target-type: ip; the Service can then be ClusterIP"
		case e.Controller == exposure.LBC:
			fix = "annotate the Service with service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip"
		default:
			fix = "move to a Service annotated service.beta.kubernetes.io/aws-load-balancer-type: external and service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip, owned by the AWS Load Balancer Controller; create it as a new Service and cut traffic over, since changing aws-load-balancer-type on an existing Service replaces the load balancer and its DNS name and can leave the old one behind"
		}
		p.ReportPatch(targetTypePatch(e), e.Front, "", finding.Warning, msg, fix, ev...)
	}
	// A Service that neither controller reconciles has no load balancer at all.
	for _, s := range p.Graph.Inv.Services {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.LoadBalancerClass != nil {
			continue
		}
		if strings.TrimSpace(s.Annotations[exposure.LBTypeAnno]) != "external" {
			continue
		}
		tt, hasTT := s.Annotations[exposure.NLBTargetTypeAnno]
		tt = strings.TrimSpace(tt)
		if tt == timing.TargetIP || tt == timing.TargetInstance {
			continue
		}
		what := "no aws-load-balancer-nlb-target-type"
		if hasTT {
			what = fmt.Sprintf("aws-load-balancer-nlb-target-type %q (valid: ip, instance)", tt)
		}
		p.ReportPatch(annotationPatch(&s.Meta, map[string]string{exposure.NLBTargetTypeAnno: timing.TargetIP}, "nlb-target-type: ip"), &s.Meta, "", finding.Error,
			fmt.Sprintf("%s has aws-load-balancer-type: external but %s: neither the AWS Load Balancer Controller nor the in-tree controller reconciles it, so it gets no load balancer (unless the controller's Service webhook sets loadBalancerClass when the Service is created, and then it gets instance targets): clients have nothing to connect to, whatever the pods do (no target).", s.Ref, what),
			"annotate it with service.beta.kubernetes.io/aws-load-balancer-nlb-target-type: ip",
			finding.Fact("aws-load-balancer-type", "external", timing.FromAnnotation, exposure.LBTypeAnno))
	}
}

// targetTypePatch moves an exposure to ip targets: the ALB annotation where
// the effective one lives, the NLB target-type annotation, or (for in-tree
// load balancers) hand the Service to the AWS Load Balancer Controller,
// keeping the in-tree scheme, which replaces the load balancer.
func targetTypePatch(e *exposure.Exposure) *finding.Patch {
	switch {
	case e.Front.Kind == "TargetGroupBinding":
		return nil // the target group's type lives in AWS
	case e.LB == timing.ALB:
		if e.TargetType.Source == timing.FromManifest {
			return nil // set by IngressClassParams for the whole class
		}
		on := e.Front
		if _, ok := e.Service.Annotations[exposure.ALBTargetTypeAnno]; ok {
			on = &e.Service.Meta
		}
		return annotationPatch(on, map[string]string{exposure.ALBTargetTypeAnno: timing.TargetIP}, "target-type: ip")
	case e.Controller == exposure.LBC:
		return annotationPatch(e.Front, map[string]string{exposure.NLBTargetTypeAnno: timing.TargetIP}, "nlb-target-type: ip")
	}
	scheme := "internet-facing" // the in-tree default; the controller's is internal
	if v := e.Service.Annotations[exposure.SvcPrefix+"aws-load-balancer-internal"]; v != "" && v != "false" {
		scheme = "internal"
	}
	a := map[string]string{exposure.LBTypeAnno: "external", exposure.NLBTargetTypeAnno: timing.TargetIP}
	if _, ok := e.Service.Annotations[exposure.SvcPrefix+"aws-load-balancer-scheme"]; !ok {
		a[exposure.SvcPrefix+"aws-load-balancer-scheme"] = scheme
	}
	p := annotationPatch(e.Front, a, "aws-load-balancer-type: external, nlb-target-type: ip, scheme "+scheme+" (a new NLB replaces the current load balancer)")
	p.Replaces = true
	return p
}
