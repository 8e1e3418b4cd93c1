package rules

import (
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
)

// Missing makes a partial input visible: a Service an ALB Ingress or a
// TargetGroupBinding sends traffic to, but which is not in the input, leaves
// that exposure unjudged, and a run over part of an application must say so
// rather than pass.
var Missing = register(&Rule{
	ID: "ZD014", Name: "missing-object", Severity: finding.Info, Scope: Everywhere,
	Title: "A Service a load balancer routes to is not in the input",
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
}
