// Package rules holds zerodrop's rules. Each rule is a value in its own file
// that owns all of itself: an ID, a name, a one-line title, the highest
// severity it reports, its scope, its documentation page, the static check
// (Run) that reports findings and fix patches through a Pass, the live check
// an audit adds from a running cluster, and what the admission webhook says
// or changes for it. The drivers (check, fix, audit, webhook) know nothing
// about any one rule: they go through the registry.
package rules

import (
	"sort"

	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// Scope says which objects a rule looks at.
type Scope string

// Scopes.
const (
	// Exposed: workloads an AWS load balancer sends traffic to.
	Exposed Scope = "exposed"
	// Selected: workloads any Service selects.
	Selected Scope = "selected"
	// Everywhere: every object of the kinds the rule knows.
	Everywhere Scope = "everywhere"
)

// Rule is one check.
type Rule struct {
	ID    string
	Name  string
	Title string
	// Severity is the highest severity the rule reports.
	Severity finding.Severity
	Scope    Scope
	// Run is the static check: it reads the manifests through the pass and
	// reports findings, with the patch that fixes each where there is one.
	Run func(*Pass)
	// Live, when set, is what an audit adds from a running cluster: facts
	// the manifests cannot show (live pods, endpoint counts, the load
	// balancer controller's webhook). It reports through the same pass,
	// after Run.
	Live func(*Pass, *Cluster)
	// Mutates says the admission webhook may apply this rule's patches to
	// the objects it admits (mutating mode).
	Mutates bool
	// Warning, when set, shortens one of this rule's findings to an
	// admission warning; text is the first clause of its message. Without
	// it the warning is that clause.
	Warning func(f finding.Finding, text string) string
}

// Doc returns the rule's documentation page (docs/rules/ID.md, embedded),
// or "" when it has none.
func (r *Rule) Doc() string {
	page, _ := docs.Rule(r.ID)
	return page
}

var registry []*Rule

// register adds a rule; each rule file calls it from a package-level var.
func register(r *Rule) *Rule {
	registry = append(registry, r)
	return r
}

// All returns every rule, ordered by ID.
func All() []*Rule {
	out := append([]*Rule(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a rule by ID ("ZD003") or name ("prestop").
func Lookup(idOrName string) *Rule {
	for _, r := range registry {
		if equalFold(r.ID, idOrName) || r.Name == idOrName {
			return r
		}
	}
	return nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// KubeVersion is the target cluster's minor version; the type lives in
// kubeversion, below every package that reads it.
type KubeVersion = kubeversion.Version

// DefaultKubeVersion is kubeversion.Default, assumed when none is given.
var DefaultKubeVersion = kubeversion.Default

// Pass is what a rule sees: the linked objects, the exposures, the timing
// model, the cluster version; and a way to report.
type Pass struct {
	Graph       *graph.Graph
	Exposures   []*exposure.Exposure
	Timing      *timing.Profiles
	KubeVersion kubeversion.Version
	// ProbePath, when set, makes readiness-probe patches use httpGet on it.
	ProbePath string

	byWorkload map[*inventory.Workload][]*exposure.Exposure
	// numbers and apps point to values shared between the exposures and
	// workloads that have equal ones: a Numbers holds its whole profile,
	// and most exposures of a large input have the same few.
	numbers   map[*exposure.Exposure]*timing.Numbers
	apps      map[*inventory.Workload]*timing.App
	appErrors []load.InputError
	rule      *Rule
	report    func(finding.Finding)
}

// NewPass prepares a pass over a graph. report receives every finding.
func NewPass(g *graph.Graph, exps []*exposure.Exposure, tp *timing.Profiles, kv kubeversion.Version, report func(finding.Finding)) *Pass {
	p := &Pass{Graph: g, Exposures: exps, Timing: tp, KubeVersion: kv, report: report,
		byWorkload: map[*inventory.Workload][]*exposure.Exposure{},
		numbers:    make(map[*exposure.Exposure]*timing.Numbers, len(exps)),
		apps:       make(map[*inventory.Workload]*timing.App, len(g.Inv.Workloads))}
	numbers := map[timing.Numbers]*timing.Numbers{}
	for _, e := range exps {
		p.numbers[e] = shared(numbers, tp.Compute(e.Input()))
		for _, w := range e.Workloads {
			p.byWorkload[w] = append(p.byWorkload[w], e)
		}
	}
	apps := map[timing.App]*timing.App{}
	for _, w := range g.Inv.Workloads {
		p.apps[w] = shared(apps, p.resolveApp(w))
	}
	return p
}

// shared returns a pointer to a value equal to v, the same one for equal
// values.
func shared[T comparable](seen map[T]*T, v T) *T {
	if p, ok := seen[v]; ok {
		return p
	}
	seen[v] = &v
	return &v
}

// resolveApp reads what w's app does on SIGTERM and how long its requests
// run, once for every rule and the simulator (see podspec.ReadApp).
func (p *Pass) resolveApp(w *inventory.Workload) timing.App {
	lb, tt := timing.ALB, timing.TargetIP
	var ports []*corev1.ServicePort
	if e := p.Slowest(w); e != nil {
		lb, tt = e.LB, e.TargetType.Value
		ports = exposurePorts(p.byWorkload[w])
	} else {
		ports = servicePorts(p.Graph.WorkloadServices[w])
	}
	anns := []podspec.Annotated{{On: w.Ref.String(), Annotations: w.Annotations},
		{On: "the pod template of " + w.Ref.String(), Annotations: w.Template.Annotations}}
	app, errs := podspec.ReadApp(anns, servingContainers(w, ports), p.Timing.DefaultApp(lb, tt))
	for _, err := range errs {
		p.appErrors = append(p.appErrors, load.InputError{Pos: w.Pos, Message: err.Error()})
	}
	return app
}

// App returns what the timing model knows of w's app: its shutdown mode
// and longest request, with their sources.
func (p *Pass) App(w *inventory.Workload) timing.App {
	if a, ok := p.apps[w]; ok {
		return *a
	}
	return p.Timing.DefaultApp(timing.ALB, timing.TargetIP)
}

// InputErrors lists the workload annotations zerodrop could not read
// (zerodrop.dev/shutdown, zerodrop.dev/longest-request).
func (p *Pass) InputErrors() []load.InputError { return p.appErrors }

// With returns a copy of the pass that reports to another sink, so that
// rules can run side by side: a pass is read-only once built.
func (p *Pass) With(report func(finding.Finding)) *Pass {
	q := *p
	q.report = report
	return &q
}

// Run runs one rule over the pass.
func (p *Pass) Run(r *Rule) {
	p.rule = r
	r.Run(p)
	p.rule = nil
}

// RunLive runs a rule's live check, if it has one, over the pass and what
// the cluster shows.
func (p *Pass) RunLive(r *Rule, c *Cluster) {
	if r.Live == nil {
		return
	}
	p.rule = r
	r.Live(p, c)
	p.rule = nil
}

// Numbers returns the timing numbers of an exposure.
func (p *Pass) Numbers(e *exposure.Exposure) timing.Numbers {
	if n := p.numbers[e]; n != nil {
		return *n
	}
	return timing.Numbers{}
}

// ExposuresOf returns the exposures that send traffic to w.
func (p *Pass) ExposuresOf(w *inventory.Workload) []*exposure.Exposure { return p.byWorkload[w] }

// ExposedWorkloads returns every workload behind an AWS load balancer, in
// input order.
func (p *Pass) ExposedWorkloads() []*inventory.Workload {
	ws := make([]*inventory.Workload, 0, len(p.byWorkload))
	for _, w := range p.Graph.Inv.Workloads {
		if len(p.byWorkload[w]) > 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

// SelectedWorkloads returns every workload a Service selects, in input order.
func (p *Pass) SelectedWorkloads() []*inventory.Workload {
	var ws []*inventory.Workload
	for _, w := range p.Graph.Inv.Workloads {
		if len(p.Graph.WorkloadServices[w]) > 0 {
			ws = append(ws, w)
		}
	}
	return ws
}

// Slowest returns, of w's exposures, the one with the longest stop-sending
// time: the one a pod's termination must wait for.
func (p *Pass) Slowest(w *inventory.Workload) *exposure.Exposure {
	var best *exposure.Exposure
	for _, e := range p.byWorkload[w] {
		if best == nil || p.Numbers(e).StopSending.High > p.Numbers(best).StopSending.High {
			best = e
		}
	}
	return best
}

// Report records a finding on obj. Severity must not exceed the rule's.
func (p *Pass) Report(obj *inventory.Meta, container string, sev finding.Severity, msg, fix string, ev ...finding.Evidence) {
	p.ReportPatch(nil, obj, container, sev, msg, fix, ev...)
}

// ReportPatch records a finding with the patch that fixes it.
func (p *Pass) ReportPatch(patch *finding.Patch, obj *inventory.Meta, container string, sev finding.Severity, msg, fix string, ev ...finding.Evidence) {
	if sev > p.rule.Severity {
		sev = p.rule.Severity
	}
	if ev == nil {
		ev = []finding.Evidence{}
	}
	p.report(finding.Finding{
		Rule: p.rule.ID, Name: p.rule.Name, Severity: sev, Object: obj.Ref, Container: container,
		File: obj.Pos.File, Line: obj.Pos.Line, Message: msg, Fix: fix, Evidence: ev,
		Fixable: patch != nil, Patch: patch,
	})
}
