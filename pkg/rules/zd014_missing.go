package rules

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/graph"
)

// Missing makes a partial input visible: a Service an ALB Ingress or a
// TargetGroupBinding sends traffic to, but which is not in the input, leaves
// that exposure unjudged, and a run over part of an application must say so
// rather than pass. So does an autoscaler whose workload is missing: the
// range it sets is applied to nothing.
var Missing = register(&Rule{
	ID: "ZD014", Name: "missing-object", Severity: finding.Info, Scope: Everywhere,
	Title: "A Service a load balancer routes to, or a workload an autoscaler scales, is not in the input",
	Run:   runMissing,
})

func runMissing(p *Pass) {
	for _, m := range exposure.FindMissing(p.Graph) {
		var by []string
		for _, b := range m.By {
			by = append(by, b.Ref.Kind+" "+b.Ref.Name)
		}
		p.Report(m.By[0], "", finding.Info,
			fmt.Sprintf("Service %s is not in the input: exposure of %s not judged.", m.Ref.Name, strings.Join(by, ", ")),
			fmt.Sprintf("check the Service's manifest together with its load balancer (add the file, or the directory, holding Service %s in namespace %s)", m.Ref.Name, m.Ref.Namespace))
	}
	for _, h := range p.Graph.UnmatchedHPAs {
		t := h.Target
		lo, hi := graph.HPARange(h)
		p.Report(&h.Meta, "", finding.Info,
			fmt.Sprintf("%s %s is not in the input: %s keeps it at %d–%d replicas, but its rollout, disruption budget and spread are not judged.", t.Kind, t.Name, h.Ref, lo, hi),
			fmt.Sprintf("check the autoscaler together with its workload (add the file, or the directory, holding %s %s in namespace %s)", t.Kind, t.Name, h.Namespace))
	}
}
