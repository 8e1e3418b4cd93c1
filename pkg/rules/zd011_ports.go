package rules

import (
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Ports flags Service ports whose targetPort no selected container serves:
// a named targetPort that matches no container port gives the Service no
// endpoints at all.
var Ports = register(&Rule{
	ID: "ZD011", Name: "ports", Severity: finding.Error, Scope: Selected,
	Title: "Service targetPort not served by the selected pods",
	Run:   runPorts,
})

func runPorts(p *Pass) {
	for _, s := range p.Graph.Inv.Services {
		ws := p.Graph.ServiceWorkloads[s]
		if len(ws) == 0 {
			continue
		}
		for i := range s.Spec.Ports {
			sp := &s.Spec.Ports[i]
			tp := podspec.TargetPort(sp)
			for _, w := range ws {
				spec := &w.Template.Spec
				if len(podspec.ServingContainers(spec, sp)) > 0 {
					continue
				}
				ev := finding.Fact("targetPort", tp.String(), timing.FromManifest, fmt.Sprintf("port %d of %s", sp.Port, s.Ref))
				targets := fmt.Sprintf("targets port %d", tp.IntVal)
				if sp.TargetPort.IntVal == 0 && sp.TargetPort.StrVal == "" {
					// Unset: the Service port doubles as the target port.
					ev = finding.Fact("targetPort", tp.String(), timing.FromDefault, fmt.Sprintf("unset on port %d of %s, so the Service port", sp.Port, s.Ref))
					targets = fmt.Sprintf("has no targetPort, so it targets port %d", tp.IntVal)
				}
				if other := podspec.NamedElsewhere(spec, sp); other != "" {
					p.Report(&s.Meta, "", finding.Error,
						fmt.Sprintf("%s port %d (%s) targets the named port %q, which %s declares only for %s: a named target resolves only to a container port of the same protocol, so those pods get no endpoint for it, and a load balancer in front has no target, before, during and after every rollout, scale-in and drain (an ALB answers 503; NLB clients get timeouts).", s.Ref, sp.Port, protocolOf(sp), tp.StrVal, w.Ref, other),
						fmt.Sprintf("declare a %s container port named %q in %s, or set targetPort to the number the app listens on", protocolOf(sp), tp.StrVal, w.Ref), ev)
				} else if tp.Type == intstr.String {
					p.Report(&s.Meta, "", finding.Error,
						fmt.Sprintf("%s port %d targets the named port %q, which no container of %s declares: those pods get no endpoint for it, and a load balancer in front has no target, before, during and after every rollout, scale-in and drain (an ALB answers 503; NLB clients get timeouts).", s.Ref, sp.Port, tp.StrVal, w.Ref),
						fmt.Sprintf("name a container port %q in %s, or set targetPort to the number the app listens on", tp.StrVal, w.Ref), ev)
				} else if podspec.DeclaresPorts(spec) {
					p.Report(&s.Meta, "", finding.Warning,
						fmt.Sprintf("%s port %d %s, which no container of %s declares; if the app does not listen there, connections are refused.", s.Ref, sp.Port, targets, w.Ref),
						fmt.Sprintf("declare containerPort %d in %s, or correct targetPort", tp.IntVal, w.Ref), ev)
				}
			}
		}
	}
}

// protocolOf is a Service port's protocol as the API defaults it.
func protocolOf(sp *corev1.ServicePort) corev1.Protocol {
	if sp.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return sp.Protocol
}
