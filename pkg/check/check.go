// Package check is the one pipeline behind `zerodrop check` (and, with other
// sources, audit and webhook): load → inventory → graph → exposures → timing
// → rules → findings, with suppression and grading applied.
package check

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/graph"
	"github.com/zerodrop/zerodrop/pkg/helmchart"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/kustomize"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
	"k8s.io/apimachinery/pkg/labels"
)

// IgnoreAnnotation lists rule IDs (or names, or "all") to suppress on an
// object or its pod template; IgnoreReasonAnnotation says why.
const (
	IgnoreAnnotation       = "zerodrop.dev/ignore"
	IgnoreReasonAnnotation = "zerodrop.dev/ignore-reason"
)

// Options configure a check.
type Options struct {
	// Paths are files, directories or "-" (stdin).
	Paths []string
	Stdin io.Reader
	// Kustomizations are directories built with the kustomize API.
	Kustomizations []string
	// Charts are Helm chart directories, rendered in process with Helm.
	Charts []string
	// Helm are the values, release name and namespace charts render with.
	Helm helmchart.Options
	// Selector, when set, keeps only objects whose labels match it (-l,
	// with kubectl's label selector syntax and meaning).
	Selector labels.Selector
	Load     load.Options
	// Namespace is where objects without one go (kubectl apply's -n).
	Namespace string
	Timing    *timing.Profiles
	// KubeVersion drives version-dependent advice; zero means assumed.
	KubeVersion kubeversion.Version
	// FailOn is the lowest severity that fails the check (0: never).
	FailOn finding.Severity
	// RuleSeverity re-grades rules by ID; a 0 severity disables the rule
	// (its findings are kept, marked suppressed by config).
	RuleSeverity map[string]finding.Severity
	// Only restricts the run to these rule IDs, when set.
	Only map[string]bool
	// ProbePath makes readiness-probe fixes use httpGet on this path.
	ProbePath string
	// DefaultPath is set when no path was named and Paths is the current
	// directory, read on the user's behalf.
	DefaultPath bool
	// StdinPending, when set, reports whether stdin holds data that was not
	// asked for: with DefaultPath and nothing found, the error then says how
	// to read it. (Stdin is never read unasked: CI runners give every step
	// a stdin that is not a terminal.)
	StdinPending func() bool
	// DropPatches leaves every finding's Patch nil (Fixable still says
	// whether fix can apply one): a run that only reports never reads the
	// patches, and on a large input they hold a quarter of the live heap.
	DropPatches bool
	// FindingsOnly is for a caller that reads only the findings (the
	// admission webhook, once per review): the result's assumptions are
	// left out, and the timing presets they quote are not computed for
	// every check.
	FindingsOnly bool
	// release is set by Run, which loaded the objects itself: once the
	// inventory holds its model, their typed API structs are dropped
	// (load.Object.Release), or most of each object would be held twice.
	release bool
}

// smallInput is the most objects a check runs its rules one after another
// for, on the calling goroutine.
var smallInput = 64

// Run loads the sources and checks them.
func Run(ctx context.Context, opts Options) *Result {
	if opts.Load.Prepare == nil {
		// Run owns the objects: their models are built as they are read
		// (BuildReleasing takes them), and their typed form let go.
		opts.Load.Prepare = inventory.ModelPreparer(opts.Namespace, opts.Selector != nil && !opts.Selector.Empty())
	}
	res := load.Paths(ctx, opts.Paths, opts.Stdin, opts.Load)
	HintCharts(res.Errors)
	for _, k := range opts.Kustomizations {
		r := kustomize.Load(k, opts.Load)
		res.Objects, res.Errors, res.Files = append(res.Objects, r.Objects...), append(res.Errors, r.Errors...), res.Files+r.Files
	}
	for _, c := range opts.Charts {
		res.Objects, res.Errors, res.Files = AppendChart(c, opts.Helm, opts.Load, res.Objects, res.Errors, res.Files)
	}
	if e := NoObjects(len(res.Objects), opts); e != nil {
		res.Errors = append(res.Errors, *e)
	}
	opts.release = true
	return Analyze(res, opts)
}

// Model is what the pipeline builds before the rules run; drivers with more
// to say (the auditor, the simulator) read it.
type Model struct {
	Inventory   *inventory.Inventory
	Graph       *graph.Graph
	Exposures   []*exposure.Exposure
	Timing      *timing.Profiles
	KubeVersion kubeversion.Version
	// Pass gives the rules' view: timing numbers per exposure and so on.
	Pass *rules.Pass
}

// Analyze checks objects already loaded.
func Analyze(lr *load.Result, opts Options) *Result {
	return AnalyzeWith(lr, opts, nil)
}

// AnalyzeWith checks objects already loaded; extra, when set, adds findings
// of its own (live-cluster facts) that then get the same grading and
// suppression as the rules' findings.
func AnalyzeWith(lr *load.Result, opts Options, extra func(*Model) []finding.Finding) *Result {
	res, _ := AnalyzeContext(context.Background(), lr, opts, extra)
	return res
}

// AnalyzeContext is AnalyzeWith under a context: once ctx ends, no further
// rule starts and the context's error is returned with a partial result,
// so a caller with a deadline (the admission webhook) stops the work
// instead of leaving it running.
func AnalyzeContext(ctx context.Context, lr *load.Result, opts Options, extra func(*Model) []finding.Finding) (*Result, error) {
	if opts.Timing == nil {
		opts.Timing = timing.Default()
	}
	lr = selectObjects(lr, opts.Selector)
	out := &Result{SchemaVersion: SchemaVersion, Findings: []finding.Finding{}, Errors: []InputError{},
		Notes: []inventory.Note{}, Assumptions: []string{}}
	var inv *inventory.Inventory
	if opts.release {
		inv = inventory.BuildReleasing(lr.Objects, opts.Namespace)
	} else {
		inv = inventory.Build(lr.Objects, opts.Namespace)
	}
	g := graph.Build(inv)
	exps := exposure.Find(g)
	kv := opts.KubeVersion
	if kv.Major == 0 {
		kv = kubeversion.Default
	}
	if !opts.FindingsOnly {
		out.Assumptions = assumptions(out.Assumptions, kv, opts.Timing, exps)
	}
	var found []finding.Finding
	pass := rules.NewPass(g, exps, opts.Timing, kv, func(f finding.Finding) { found = append(found, f) })
	pass.ProbePath = opts.ProbePath
	var run []*rules.Rule
	for _, r := range rules.All() {
		if opts.Only == nil || opts.Only[r.ID] {
			run = append(run, r)
		}
	}
	var perRule []findingChunks
	// inOrder holds the rules' findings when they run one after another.
	var inOrder []finding.Finding
	if len(lr.Objects) <= smallInput {
		// A few objects (each admission review): the rules run one after
		// another into one slice. Spread over goroutines, each with its
		// own sink, shared strings and chunks, they would allocate more
		// than they report, and a review's garbage sets how often the
		// webhook collects.
		one := pass.With(func(f finding.Finding) {
			if opts.DropPatches {
				f.Patch = nil
			}
			inOrder = append(inOrder, f)
		})
		for _, r := range run {
			if ctx.Err() != nil {
				break
			}
			one.Run(r)
		}
	} else {
		// Rules are independent readers of the same model: run them side
		// by side, and keep their findings in rule order.
		perRule = make([]findingChunks, len(run))
		workpool.Each(len(run), 0, func(i int) error {
			if ctx.Err() == nil {
				sh := newSharer()
				pass.With(func(f finding.Finding) {
					if opts.DropPatches {
						f.Patch = nil
					}
					perRule[i].add(sh.compact(f))
				}).Run(run[i])
			}
			return nil
		})
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	var extraFound []finding.Finding
	if extra != nil {
		m := &Model{Inventory: inv, Graph: g, Exposures: exps, Timing: opts.Timing, KubeVersion: kv, Pass: pass}
		for _, f := range extra(m) {
			if opts.Only == nil || opts.Only[f.Rule] {
				extraFound = append(extraFound, f)
			}
		}
	}
	// Take from the model what the result needs besides the findings: from
	// here on nothing refers to it, and on a large input the collector can
	// have it back while the findings are gathered, sorted and written.
	sup := newSuppressor(inv)
	if sh := opts.Timing.Shutdown; sh.Source == timing.FromDefault && !opts.FindingsOnly {
		out.Assumptions = append(out.Assumptions, fmt.Sprintf("apps drain on SIGTERM unless a workload says otherwise (annotation %s: drain|exit) or a shell wrapper keeps SIGTERM from them; set --shutdown to change", timing.ShutdownAnnotation))
	}
	for _, e := range append(append(lr.Errors, inv.Errors...), pass.InputErrors()...) {
		out.Errors = append(out.Errors, InputError{File: e.Pos.File, Line: e.Pos.Line, Message: e.Message})
	}
	out.Notes = append(out.Notes, inv.Notes...)
	out.Notes = append(out.Notes, g.Notes...)
	for _, e := range exps {
		for _, n := range e.Notes {
			out.Notes = append(out.Notes, inventory.Note{Pos: e.Front.Pos, Ref: e.Front.Ref, File: e.Front.Pos.File, Line: e.Front.Pos.Line, Message: n})
		}
	}
	s := &out.Summary
	s.Files, s.Objects, s.Workloads, s.Exposures = lr.Files, len(lr.Objects), len(inv.Workloads), len(exps)
	s.Skipped = lr.Skipped
	if len(exps) == 0 && len(lr.Objects) > 0 {
		s.NoExposure = noExposure(inv)
	}
	if len(lr.Objects) >= collectAfterRules {
		// The model, most of the heap, is garbage now; collected before
		// the findings are gathered, its memory holds them and what the
		// output takes, instead of the heap growing by half again first.
		runtime.GC()
	}
	// Findings are most of what a large check holds: gather them into one
	// slice of the exact size, letting each rule's go as it is copied, so
	// they are never held twice over.
	var all []finding.Finding
	if perRule == nil {
		all = append(append(inOrder, found...), extraFound...)
	} else {
		n := len(found) + len(extraFound)
		for _, c := range perRule {
			n += c.len()
		}
		all = make([]finding.Finding, 0, n)
		for i := range perRule {
			all = perRule[i].moveTo(all)
		}
		all = append(append(all, found...), extraFound...)
	}
	inOrder = nil
	found, extraFound = nil, nil
	for i := range all {
		f := &all[i]
		if sev, ok := opts.RuleSeverity[f.Rule]; ok {
			if sev == 0 {
				f.Suppressed, f.Suppression = true, &finding.Suppression{By: "config", Reason: "rule " + f.Rule + " is disabled in the configuration"}
			} else {
				f.Severity = sev
			}
		}
		if !f.Suppressed {
			if s := sup.lookup(f); s != nil {
				f.Suppressed, f.Suppression = true, s
			}
		}
	}
	sortFindings(all)
	if len(all) > 0 {
		out.Findings = all
	}
	Tally(out, opts.FailOn)
	return out, nil
}

// collectAfterRules is the number of objects from which a check collects
// the model's memory as soon as the rules are done with it.
const collectAfterRules = 20_000

// assumptions adds what a check assumed, for the reader of its result.
func assumptions(out []string, kv kubeversion.Version, tp *timing.Profiles, exps []*exposure.Exposure) []string {
	if kv.Assumed {
		out = append(out, fmt.Sprintf("Kubernetes %s assumed (native preStop sleep available, policy/v1beta1 not served); set --kube-version to change", kv))
	}
	if tp.File == "" {
		alb := tp.Compute(timing.Input{LB: timing.ALB, TargetType: timing.TargetIP}).StopSending
		nlb := tp.Compute(timing.Input{LB: timing.NLB, TargetType: timing.TargetIP}).StopSending
		out = append(out, fmt.Sprintf("built-in timing presets (a deleted ip target stops getting requests after ALB %s, NLB %s; findings judge the end that is conservative for each requirement); set --profile to use measured delays", alb, nlb))
	} else {
		out = append(out, "timing profile "+tp.File)
	}
	inTree := 0
	for _, e := range exps {
		if e.Controller == exposure.InTree {
			inTree++
		}
	}
	if inTree > 0 {
		out = append(out, fmt.Sprintf("%d LoadBalancer Service(s) read as the in-tree cloud provider's CLB or NLB; where the AWS Load Balancer Controller v2.5+ runs its Service webhook (the default), a newly created Service gets loadBalancerClass service.k8s.aws/nlb and becomes an NLB with instance targets instead (set loadBalancerClass to say which you mean)", inTree))
	}
	return out
}

// noExposure says that no AWS load balancer exposure was found and what
// was looked at.
func noExposure(inv *inventory.Inventory) string {
	lbServices := 0
	for _, s := range inv.Services {
		if s.Spec.Type == "LoadBalancer" {
			lbServices++
		}
	}
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	return fmt.Sprintf("no AWS load balancer exposure found: checked %s (none of the ALB class), %s (%d of type LoadBalancer, none read as an AWS load balancer with a Service in the input) and %s",
		plural(len(inv.Ingresses), "Ingress", "Ingresses"), plural(len(inv.Services), "Service", "Services"),
		lbServices, plural(len(inv.TargetGroupBindings), "TargetGroupBinding", "TargetGroupBindings"))
}

// Tally recounts the summary from the findings and errors, for drivers that
// add either after Analyze.
func Tally(out *Result, failOn finding.Severity) {
	s := &out.Summary
	s.Errors, s.Warnings, s.Infos, s.Suppressed, s.Failed = 0, 0, 0, 0, false
	s.InputErrors = len(out.Errors)
	s.FailOn = failOn.String()
	for _, f := range out.Findings {
		if f.Suppressed {
			s.Suppressed++
			continue
		}
		switch f.Severity {
		case finding.Error:
			s.Errors++
		case finding.Warning:
			s.Warnings++
		case finding.Info:
			s.Infos++
		}
		if failOn != 0 && f.Severity >= failOn {
			s.Failed = true
		}
	}
}

func sortFindings(fs []finding.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Container < b.Container
	})
}

// suppressor finds ignore annotations for a finding's object.
type suppressor struct {
	byRef map[inventory.Ref][]map[string]string
}

func newSuppressor(inv *inventory.Inventory) *suppressor {
	s := &suppressor{byRef: map[inventory.Ref][]map[string]string{}}
	add := func(m inventory.Meta, extra map[string]string) {
		if m.Annotations[IgnoreAnnotation] == "" && extra[IgnoreAnnotation] == "" {
			return
		}
		s.byRef[m.Ref] = append(s.byRef[m.Ref], m.Annotations, extra)
	}
	for _, w := range inv.Workloads {
		add(w.Meta, w.Template.Annotations)
	}
	for _, x := range inv.Services {
		add(x.Meta, nil)
	}
	for _, x := range inv.Ingresses {
		add(x.Meta, nil)
	}
	for _, x := range inv.PDBs {
		add(x.Meta, nil)
	}
	for _, x := range inv.Namespaces {
		add(x.Meta, nil)
	}
	for _, x := range inv.TargetGroupBindings {
		add(x.Meta, nil)
	}
	return s
}

func (s *suppressor) lookup(f *finding.Finding) *finding.Suppression {
	for _, ann := range s.byRef[f.Object] {
		list, ok := ann[IgnoreAnnotation]
		if !ok {
			continue
		}
		for _, item := range strings.Split(list, ",") {
			item = strings.TrimSpace(item)
			if strings.EqualFold(item, f.Rule) || item == f.Name || item == "all" || item == "*" {
				reason := ann[IgnoreReasonAnnotation]
				if reason == "" {
					reason = "no reason given (" + IgnoreReasonAnnotation + ")"
				}
				return &finding.Suppression{By: "annotation", Reason: reason}
			}
		}
	}
	return nil
}
