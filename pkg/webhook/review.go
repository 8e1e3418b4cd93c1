package webhook

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Positions name where objects came from; warnings never show them, JSON
// logs may.
const (
	admissionFile = "admission"
	clusterFile   = "cluster"
)

type reviewer struct {
	src    Source
	opts   Options
	byKind map[schema.GroupKind]Kind
	// slots bound the reviews in flight; a review that finds none free is
	// shed (allowed unchecked) instead of queued.
	slots chan struct{}

	// prepared holds cluster objects already typed for the rules, by
	// resource version: consecutive reviews often read the same objects.
	pmu      sync.Mutex
	prepared map[objectKey]preparedObject
}

type preparedObject struct {
	uid, resourceVersion string
	obj                  *load.Object
}

// maxPrepared bounds the typed objects kept; past it the memo drops half
// of them. A typed object holds about 1.8 KB and typing one allocates about
// 7 KB: a memo that misses the objects of a busy namespace (a thousand
// applications are some 4,000 objects) adds more garbage in a second than
// the memo's whole size, while 4,096 of them, full, are about 7 MB of heap.
const maxPrepared = 4096

var prepare = inventory.Preparer("default")

type objectKey struct {
	gk              schema.GroupKind
	namespace, name string
}

func keyOf(o *Object) objectKey {
	return objectKey{gk: o.GroupVersionKind().GroupKind(), namespace: o.Namespace, name: o.Name}
}

func newReviewer(src Source, opts Options) *reviewer {
	opts = opts.withDefaults()
	r := &reviewer{src: src, opts: opts, byKind: map[schema.GroupKind]Kind{},
		slots: make(chan struct{}, opts.MaxInFlight), prepared: map[objectKey]preparedObject{}}
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], podKind) {
		r.byKind[k.GroupKind()] = k
	}
	return r
}

// review is one admitted object checked in its context.
type review struct {
	kind      Kind
	ref       inventory.Ref
	namespace string
	mode      string
	nsLabels  map[string]string
	raw       map[string]any // the admitted object
	// findings are those reported for this admission, none suppressed:
	// on the object itself, and on the objects it is related to through
	// the workloads it runs or exposes (see gather).
	findings []finding.Finding
}

var errDeadline = fmt.Errorf("deadline")

// review reads the admitted object and the objects related to it from the
// model, and runs the rules on them. A nil review comes with the answer to
// give instead. Nothing of the admission is remembered: the answer depends
// on the object and the cluster only, not on which replica answers or on
// what it answered before.
func (r *reviewer) review(ctx context.Context, req admission.Request, opts check.Options) (*review, answer) {
	if !checked(req) {
		return nil, skipped("operation not checked")
	}
	kind, ok := r.byKind[schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}]
	if !ok || kind.Context {
		return nil, skipped("kind not checked")
	}
	raw, err := decodeObject(req.Object.Raw)
	if err != nil {
		r.opts.Log.Error(err, "unreadable object; allowing", "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name)
		return nil, allowUnchecked(ResultError, "zerodrop: object not readable, allowed without a check")
	}
	u := &unstructured.Unstructured{Object: raw}
	if kind.Kind == "Pod" && hasController(u) {
		return nil, skipped("pod checked through its controller's template")
	}
	rv := &review{kind: kind, raw: raw}
	name := req.Name
	if name == "" {
		name = u.GetName()
	}
	if name == "" {
		// generateName: the object has no name yet.
		name = u.GetGenerateName() + "(generated)"
	}
	apiVersion := schema.GroupVersion{Group: req.Kind.Group, Version: req.Kind.Version}.String()
	var nsObj *Object
	if kind.Kind == "Namespace" {
		rv.namespace = name
		nsObj = relationsOf(kind, u)
	} else {
		rv.namespace = req.Namespace
		if nsObj, err = r.src.Namespace(ctx, rv.namespace); err != nil {
			return nil, r.cacheFailed(err)
		}
	}
	ns := rv.namespace
	if !kind.Namespaced {
		ns = ""
	}
	rv.ref = inventory.Ref{APIVersion: apiVersion, Kind: kind.Kind, Namespace: ns, Name: name}
	if nsObj != nil {
		rv.nsLabels = nsObj.Labels
	}
	rv.mode = r.modeOf(rv.nsLabels)
	if rv.mode == ModeOff {
		return nil, skipped("namespace not checked")
	}

	self := relationsOf(kind, u)
	self.Namespace, self.Name = ns, name
	g := &gathering{r: r, ctx: ctx, ns: rv.namespace, self: objectKey{gk: kind.GroupKind(), namespace: ns, name: name},
		objs: map[objectKey]*Object{}, report: map[string]bool{}}
	g.report[refKey(kind.Kind, ns, name)] = true
	if nsObj != nil && kind.Kind != "Namespace" {
		g.add(nsObj, true)
	}
	if err := g.gather(kind, self); err != nil {
		if err == errDeadline {
			return nil, r.late()
		}
		return nil, r.cacheFailed(err)
	}

	objs := make([]*load.Object, 0, len(g.objs)+1)
	for _, o := range g.sorted() {
		lo, err := r.clusterObject(o)
		if err != nil {
			return nil, r.cacheFailed(err)
		}
		objs = append(objs, lo)
	}
	opts.Namespace = rv.namespace
	opts.FindingsOnly = true
	admitted := loadObject(raw, admissionFile)
	admitted.APIVersion, admitted.Kind, admitted.Namespace, admitted.Name = apiVersion, kind.Kind, ns, name
	res, err := check.AnalyzeContext(ctx, &load.Result{Objects: append(objs, admitted)}, opts, nil)
	if err != nil || ctx.Err() != nil {
		return nil, r.late()
	}
	// Filtered in place: the result is this review's own.
	rv.findings = res.Findings[:0]
	for _, f := range res.Findings {
		if !f.Suppressed && g.report[refKey(f.Object.Kind, f.Object.Namespace, f.Object.Name)] {
			rv.findings = append(rv.findings, f)
		}
	}
	return rv, answer{}
}

// hasController reports whether a Pod belongs to a controller.
func hasController(u *unstructured.Unstructured) bool {
	for _, o := range u.GetOwnerReferences() {
		if o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}

func refKey(kind, namespace, name string) string { return kind + "|" + namespace + "|" + name }

// gathering collects the objects related to one admitted object.
type gathering struct {
	r    *reviewer
	ctx  context.Context
	ns   string
	self objectKey
	objs map[objectKey]*Object
	// report holds the objects whose findings the admission reports.
	report map[string]bool
	err    error
}

// add takes a cluster object into the check (the admitted object stands
// for its own cached version); report says whether its findings are
// reported.
func (g *gathering) add(o *Object, report bool) bool {
	k := keyOf(o)
	if k == g.self {
		return false
	}
	if report {
		g.report[refKey(o.Kind, o.Namespace, o.Name)] = true
	}
	if _, ok := g.objs[k]; ok {
		return false
	}
	g.objs[k] = o
	return true
}

// gather reads what the rules need around the admitted object, through the
// model's indexes, so its cost follows the object's relations, not the
// size of its namespace:
//
//   - the workloads it concerns: itself; those a Service selects; those
//     behind the Services an Ingress or binding routes to; those a budget
//     selects; the one an autoscaler scales; every workload of a
//     Namespace;
//   - for each, the Services selecting it, the Ingresses and bindings
//     routing to those, its budgets, the autoscalers that scale it, and
//     the other workloads behind the same Services (read, not reported);
//   - the IngressClasses and IngressClassParams, and the Namespace.
//
// The findings on the admitted object, its workloads and their Services,
// Ingresses, bindings and budgets are reported: a review of any part of a
// change reports what a review of the workload would, so the warnings do
// not depend on the order in which the parts arrive.
func (g *gathering) gather(kind Kind, self *Object) error {
	var workloads []*Object
	switch {
	case kind.Workload:
		workloads = []*Object{self}
	case kind.Kind == "Service":
		workloads = g.selectedBy(self.Match)
		g.frontsOf(self.Name)
	case kind.Kind == "Ingress" || kind.Kind == "TargetGroupBinding":
		for _, name := range self.Services {
			svc, err := g.r.src.Get(g.ctx, serviceKind, g.ns, name)
			if err != nil {
				return err
			}
			if svc == nil {
				continue
			}
			g.add(svc, true)
			workloads = append(workloads, g.selectedBy(svc.Match)...)
			g.frontsOf(name)
		}
	case kind.Kind == "PodDisruptionBudget":
		if self.MatchAll {
			workloads = g.allWorkloads()
		} else {
			workloads = g.selectedBy(self.Match)
		}
	case kind.Kind == "Namespace":
		workloads = g.allWorkloads()
	case kind.Kind == "HorizontalPodAutoscaler":
		target, name, _ := strings.Cut(self.ScaleTarget, "/")
		for _, k := range Kinds {
			if !k.Workload || k.Kind != target {
				continue
			}
			w, err := g.r.src.Get(g.ctx, k, g.ns, name)
			if err != nil {
				return err
			}
			if w != nil {
				workloads = append(workloads, w)
			}
		}
	}
	for _, w := range workloads {
		if g.err != nil {
			break
		}
		g.add(w, true)
		for _, svc := range g.servicesSelecting(w.Match) {
			g.add(svc, true)
			g.frontsOf(svc.Name)
			for _, sibling := range g.selectedBy(svc.Match) {
				g.add(sibling, false)
			}
		}
		for _, b := range g.budgetsFor(w.Match) {
			g.add(b, true)
		}
		// The autoscalers that set its replica range.
		for _, h := range g.lookup(hpaKind, IndexScaleTarget, w.Kind+"/"+w.Name) {
			g.add(h, true)
		}
	}
	for _, k := range Kinds {
		if k.Namespaced || k.Kind == "Namespace" {
			continue
		}
		for _, o := range g.list(k, "") {
			g.add(o, false)
		}
	}
	if g.err == nil && g.ctx.Err() != nil {
		g.err = errDeadline
	}
	return g.err
}

var serviceKind, _ = kindOf(schema.GroupKind{Kind: "Service"})

func (g *gathering) lookup(k Kind, index, value string) []*Object {
	if g.err != nil {
		return nil
	}
	if g.ctx.Err() != nil {
		g.err = errDeadline
		return nil
	}
	out, err := g.r.src.Lookup(g.ctx, k, g.ns, index, value)
	if err != nil {
		g.err = err
	}
	return out
}

func (g *gathering) list(k Kind, namespace string) []*Object {
	if g.err != nil {
		return nil
	}
	if g.ctx.Err() != nil {
		g.err = errDeadline
		return nil
	}
	out, err := g.r.src.List(g.ctx, k, namespace)
	if err != nil {
		g.err = err
	}
	return out
}

// selectedBy returns the workloads whose pod template a selector selects,
// looked up by the selector pair with the fewest candidates.
func (g *gathering) selectedBy(sel Labels) []*Object {
	if len(sel) == 0 {
		return nil
	}
	var out []*Object
	for _, k := range Kinds {
		if !k.Workload {
			continue
		}
		var best []*Object
		for i, p := range sel {
			c := g.lookup(k, IndexPodLabel, p)
			if i == 0 || len(c) < len(best) {
				best = c
			}
			if len(best) == 0 {
				break
			}
		}
		for _, w := range best {
			if selects(sel, w.Match) {
				out = append(out, w)
			}
		}
	}
	return out
}

// servicesSelecting returns the Services whose selector selects labels.
func (g *gathering) servicesSelecting(labels Labels) []*Object {
	var out []*Object
	seen := map[string]bool{}
	for _, p := range labels {
		for _, s := range g.lookup(serviceKind, IndexSelector, p) {
			if !seen[s.Name] && selects(s.Match, labels) {
				seen[s.Name] = true
				out = append(out, s)
			}
		}
	}
	return out
}

var (
	budgetKind, _ = kindOf(schema.GroupKind{Group: "policy", Kind: "PodDisruptionBudget"})
	hpaKind, _    = kindOf(schema.GroupKind{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"})
)

// budgetsFor returns the budgets that may select pods with labels; budgets
// selecting by expressions are all candidates (the rules decide).
func (g *gathering) budgetsFor(labels Labels) []*Object {
	var out []*Object
	seen := map[string]bool{}
	for _, p := range append(labels[:len(labels):len(labels)], MatchAnything) {
		for _, b := range g.lookup(budgetKind, IndexSelector, p) {
			if !seen[b.Name] && (b.MatchAll || selects(b.Match, labels)) {
				seen[b.Name] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// frontsOf adds the Ingresses and bindings routing to a Service.
func (g *gathering) frontsOf(service string) {
	for _, k := range Kinds {
		if k.Kind != "Ingress" && k.Kind != "TargetGroupBinding" {
			continue
		}
		for _, o := range g.lookup(k, IndexService, service) {
			g.add(o, true)
		}
	}
}

// allWorkloads lists every workload of the namespace.
func (g *gathering) allWorkloads() []*Object {
	var out []*Object
	for _, k := range Kinds {
		if k.Workload {
			out = append(out, g.list(k, g.ns)...)
		}
	}
	return out
}

// sorted returns the gathered objects in Kinds order, then by name: the
// same input gives the same findings in the same order.
func (g *gathering) sorted() []*Object {
	out := make([]*Object, 0, len(g.objs))
	for _, o := range g.objs {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		ra, rb := kindRank[a.GroupVersionKind().GroupKind()], kindRank[b.GroupVersionKind().GroupKind()]
		if ra != rb {
			return ra < rb
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	return out
}

// kindRank is each kind's place in Kinds.
var kindRank = func() map[schema.GroupKind]int {
	rank := map[schema.GroupKind]int{}
	for i, k := range Kinds {
		rank[k.GroupKind()] = i
	}
	return rank
}()

// clusterObject returns a model object typed for the rules, typing it only
// when this version of it was not seen before.
func (r *reviewer) clusterObject(o *Object) (*load.Object, error) {
	key := keyOf(o)
	uid, version := string(o.UID), o.ResourceVersion
	if version != "" {
		r.pmu.Lock()
		p, ok := r.prepared[key]
		r.pmu.Unlock()
		if ok && p.uid == uid && p.resourceVersion == version {
			return p.obj, nil
		}
	}
	raw, err := decodeObject(o.JSON)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", o.Kind, o.Namespace, o.Name, err)
	}
	lo := loadObject(raw, clusterFile)
	prepare(lo)
	if version != "" {
		r.pmu.Lock()
		if len(r.prepared) >= maxPrepared {
			// Drop half, in the map's own (unordered) order: the other
			// half stays warm, where starting afresh would type every
			// object of the next reviews again.
			n := 0
			for k := range r.prepared {
				if n++; n > maxPrepared/2 {
					break
				}
				delete(r.prepared, k)
			}
		}
		r.prepared[key] = preparedObject{uid: uid, resourceVersion: version, obj: lo}
		r.pmu.Unlock()
	}
	return lo, nil
}

func (r *reviewer) cacheFailed(err error) answer {
	r.opts.Log.Error(err, "cluster model unreadable; allowing")
	return allowUnchecked(ResultError, "zerodrop: cluster state not readable, allowed without a check")
}

func (r *reviewer) late() answer {
	return allowUnchecked(ResultTimeout, fmt.Sprintf("zerodrop: no answer within %s, allowed without a check", r.opts.Timeout))
}

func sameObject(a, b inventory.Ref) bool {
	return a.Kind == b.Kind && a.Namespace == b.Namespace && a.Name == b.Name
}

// decodeObject reads an object as the loader would: numbers as int64 or
// float64.
func decodeObject(data []byte) (map[string]any, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("no object")
	}
	var m map[string]any
	if err := utiljson.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not an object")
	}
	return m, nil
}

// loadObject turns an object map into a loaded object. Raw is the map
// itself: callers pass maps they own.
func loadObject(obj map[string]any, file string) *load.Object { return load.FromAPI(obj, file) }

func nested(m map[string]any, path ...string) any {
	var v any = m
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}
