package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	admissionv1 "k8s.io/api/admission/v1"
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

// recentFor is how long an admitted object stands in for itself until the
// cache has it: `kubectl apply -f dir/` sends a Deployment and its Service
// milliseconds apart, faster than a watch event may arrive.
const recentFor = 10 * time.Second

type reviewer struct {
	src    Source
	opts   Options
	byKind map[schema.GroupKind]Kind

	mu sync.Mutex
	// recent holds admitted objects by namespace; pruned at most once a
	// second.
	recent    map[string]map[objectKey]recentObject
	lastPrune time.Time

	// prepared holds cluster objects already typed for the rules, by
	// resource version: most admissions read the same few objects again.
	pmu      sync.RWMutex
	prepared map[objectKey]preparedObject
}

type preparedObject struct {
	uid, resourceVersion string
	obj                  *load.Object
}

// maxPrepared bounds the prepared objects kept; past it the memo starts
// afresh (deleted objects are never removed one by one).
const maxPrepared = 50000

var prepare = inventory.Preparer("default")

type objectKey struct {
	gk              schema.GroupKind
	namespace, name string
}

type recentObject struct {
	raw map[string]any
	at  time.Time
}

func newReviewer(src Source, opts Options) *reviewer {
	r := &reviewer{src: src, opts: opts.withDefaults(), byKind: map[schema.GroupKind]Kind{},
		recent: map[string]map[objectKey]recentObject{}, prepared: map[objectKey]preparedObject{}}
	for _, k := range Kinds {
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
	// findings are those reported for this admission: on the object
	// itself, and those it newly causes on others; none suppressed.
	findings []finding.Finding
	// related are the objects read around it.
	related []*load.Object
}

// review reads the admitted object and its surroundings and runs the rules.
// A nil review comes with the answer to give instead. The object is
// remembered for a moment, for the admissions that follow it.
func (r *reviewer) review(ctx context.Context, req admission.Request, opts check.Options) (*review, answer) {
	return r.run(ctx, req, opts, true)
}

// reviewOnly is review without remembering the object.
func (r *reviewer) reviewOnly(ctx context.Context, req admission.Request, opts check.Options) (*review, answer) {
	return r.run(ctx, req, opts, false)
}

func (r *reviewer) run(ctx context.Context, req admission.Request, opts check.Options, remember bool) (*review, answer) {
	if !checked(req) {
		return nil, skipped("operation not checked")
	}
	kind, ok := r.byKind[schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}]
	if !ok {
		return nil, skipped("kind not checked")
	}
	raw, err := decodeObject(req.Object.Raw)
	if err != nil {
		r.opts.Log.Error(err, "unreadable object; allowing", "kind", req.Kind.Kind, "namespace", req.Namespace, "name", req.Name)
		return nil, allowUnchecked(ResultError, "zerodrop: object not readable, allowed without a check")
	}
	rv := &review{kind: kind, raw: raw}
	name := req.Name
	if name == "" {
		name, _ = nested(raw, "metadata", "name").(string)
	}
	if name == "" {
		// generateName: the object has no name yet.
		gen, _ := nested(raw, "metadata", "generateName").(string)
		name = gen + "(generated)"
	}
	apiVersion := schema.GroupVersion{Group: req.Kind.Group, Version: req.Kind.Version}.String()
	var nsObj *unstructured.Unstructured
	if kind.Kind == "Namespace" {
		rv.namespace = name
		nsObj = &unstructured.Unstructured{Object: raw}
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
		rv.nsLabels = nsObj.GetLabels()
	}
	rv.mode = r.modeOf(rv.nsLabels)
	if rv.mode == ModeOff {
		return nil, skipped("namespace not checked")
	}

	// The surroundings: everything the rules need to find exposures, and
	// the workloads an object that is not one may affect.
	self := objectKey{gk: kind.GroupKind(), namespace: ns, name: name}
	if nsObj != nil && kind.Kind != "Namespace" {
		rv.related = append(rv.related, r.clusterObject(Kinds[0], nsObj))
	}
	seen := map[objectKey]bool{self: true}
	for _, k := range Kinds {
		if k.Kind == "Namespace" || (kind.Workload && k.Workload) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, allowUnchecked(ResultTimeout, "zerodrop: no answer in time, allowed without a check")
		}
		objs, err := r.src.List(ctx, k, rv.namespace)
		if err != nil {
			return nil, r.cacheFailed(err)
		}
		for _, o := range objs {
			key := objectKey{gk: k.GroupKind(), namespace: o.GetNamespace(), name: o.GetName()}
			if seen[key] {
				continue
			}
			seen[key] = true
			rv.related = append(rv.related, r.clusterObject(k, o))
		}
	}
	rv.related = append(rv.related, r.recentlyAdmitted(seen, rv.namespace, kind.Workload)...)

	opts.Namespace = rv.namespace
	admitted := loadObject(raw, admissionFile)
	admitted.APIVersion, admitted.Kind, admitted.Namespace, admitted.Name = apiVersion, kind.Kind, ns, name
	res := check.Analyze(&load.Result{Objects: append(rv.related[:len(rv.related):len(rv.related)], admitted)}, opts)
	if err := ctx.Err(); err != nil {
		return nil, allowUnchecked(ResultTimeout, "zerodrop: no answer in time, allowed without a check")
	}

	// Findings on other objects count only when this admission causes
	// them: compare with the namespace as it is without the change.
	var before map[string]bool
	if !kind.Workload {
		base := rv.related
		if req.Operation == admissionv1.Update && len(req.OldObject.Raw) > 0 {
			if old, err := decodeObject(req.OldObject.Raw); err == nil {
				o := loadObject(old, admissionFile)
				o.APIVersion, o.Kind, o.Namespace, o.Name = apiVersion, kind.Kind, ns, name
				base = append(base[:len(base):len(base)], o)
			}
		}
		before = map[string]bool{}
		for _, f := range check.Analyze(&load.Result{Objects: base}, opts).Findings {
			before[findingKey(f)] = true
		}
	}
	for _, f := range res.Findings {
		if f.Suppressed {
			continue
		}
		if sameObject(f.Object, rv.ref) || (before != nil && !before[findingKey(f)]) {
			rv.findings = append(rv.findings, f)
		}
	}
	if remember && (req.DryRun == nil || !*req.DryRun) {
		r.remember(self, raw)
	}
	return rv, answer{}
}

// clusterObject returns a cached object of kind k typed for the rules,
// typing it only when this version of it was not seen before. u is not
// changed.
func (r *reviewer) clusterObject(k Kind, u *unstructured.Unstructured) *load.Object {
	key := objectKey{gk: k.GroupKind(), namespace: u.GetNamespace(), name: u.GetName()}
	uid, version := string(u.GetUID()), u.GetResourceVersion()
	if version != "" {
		r.pmu.RLock()
		p, ok := r.prepared[key]
		r.pmu.RUnlock()
		if ok && p.uid == uid && p.resourceVersion == version {
			return p.obj
		}
	}
	raw := deepCopy(u.Object).(map[string]any)
	// Objects from a list may lack their kind.
	raw["apiVersion"], raw["kind"] = k.GroupVersion().String(), k.Kind
	o := loadObject(raw, clusterFile)
	prepare(o)
	if version != "" {
		r.pmu.Lock()
		if len(r.prepared) >= maxPrepared {
			r.prepared = map[objectKey]preparedObject{}
		}
		r.prepared[key] = preparedObject{uid: uid, resourceVersion: version, obj: o}
		r.pmu.Unlock()
	}
	return o
}

func (r *reviewer) cacheFailed(err error) answer {
	r.opts.Log.Error(err, "cluster cache unreadable; allowing")
	return allowUnchecked(ResultError, "zerodrop: cluster state not readable, allowed without a check")
}

// remember keeps an admitted object for recentFor, until the cache has it.
func (r *reviewer) remember(key objectKey, raw map[string]any) {
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.lastPrune) > time.Second {
		r.lastPrune = now
		for ns, objs := range r.recent {
			for k, v := range objs {
				if now.Sub(v.at) > recentFor {
					delete(objs, k)
				}
			}
			if len(objs) == 0 {
				delete(r.recent, ns)
			}
		}
	}
	objs := r.recent[key.namespace]
	if objs == nil {
		objs = map[objectKey]recentObject{}
		r.recent[key.namespace] = objs
	}
	if len(objs) < maxRecentPerNamespace {
		objs[key] = recentObject{raw: raw, at: now}
	}
}

// maxRecentPerNamespace bounds what one namespace's burst of admissions
// keeps in memory.
const maxRecentPerNamespace = 2000

// recentlyAdmitted returns objects admitted moments ago in namespace that
// the cache did not list (seen); for a workload, no other workloads.
func (r *reviewer) recentlyAdmitted(seen map[objectKey]bool, namespace string, workload bool) []*load.Object {
	now := r.opts.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*load.Object
	for k, v := range r.recent[namespace] {
		kind, ok := r.byKind[k.gk]
		if !ok || seen[k] || now.Sub(v.at) > recentFor || kind.Kind == "Namespace" || (workload && kind.Workload) {
			continue
		}
		out = append(out, loadObject(deepCopy(v.raw).(map[string]any), clusterFile))
	}
	return out
}

// findingKey identifies a finding across two runs over slightly different
// input: the numbers in the message may change, the concern does not.
func findingKey(f finding.Finding) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d", f.Rule, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Container, f.Severity)
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

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

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
