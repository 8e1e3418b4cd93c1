package webhook

import (
	"encoding/json"
	"fmt"
	"sort"
	"unique"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Indexes of the model: how a review finds the few objects related to the
// one under review without reading the rest of its namespace.
const (
	// IndexPodLabel indexes workloads by each "key=value" of their pod
	// template's labels.
	IndexPodLabel = "zerodrop/pod-label"
	// IndexSelector indexes Services and PodDisruptionBudgets by each
	// "key=value" of their selector; a budget that selects by expressions
	// or selects everything is indexed under MatchAnything.
	IndexSelector = "zerodrop/selector"
	// IndexService indexes Ingresses and TargetGroupBindings by the name of
	// each Service they route to.
	IndexService = "zerodrop/service"
	// IndexScaleTarget indexes HorizontalPodAutoscalers by the
	// "Kind/name" of the workload they scale.
	IndexScaleTarget = "zerodrop/scale-target"
)

// MatchAnything is the IndexSelector value of a budget whose selector is
// not a plain set of labels: it is a candidate for every workload.
const MatchAnything = "*"

// Object is an object as the webhook's model keeps it: its identity, what
// its relations are found by, and its JSON without managed fields and
// kubectl's last-applied copy. The JSON is a fraction of the memory of the
// decoded object; a review decodes only the few objects it needs. Objects
// are immutable once made.
type Object struct {
	metav1.TypeMeta
	Meta
	// Match is what a selector is compared with: a workload's pod template
	// labels, a Service's selector, a budget's matchLabels.
	Match Labels
	// MatchAll marks a budget whose selector has expressions or is empty.
	MatchAll bool
	// Services are the Services an Ingress or TargetGroupBinding routes to.
	Services []string
	// ScaleTarget is the "Kind/name" an autoscaler scales.
	ScaleTarget string
	// JSON is the object.
	JSON []byte
}

// Meta is what the model keeps of an object's metadata: a third of the
// size of metav1.ObjectMeta, whose other fields no review reads, on each of
// the tens of thousands of objects the model holds.
type Meta struct {
	Name, Namespace string
	UID             types.UID
	ResourceVersion string
	// Labels are kept for Namespaces only (the mode label is read on every
	// review).
	Labels map[string]string
}

// GetObjectMeta implements metav1.ObjectMetaAccessor, for client-go's key
// functions (meta.Accessor): a copy, as an ObjectMeta.
func (o *Object) GetObjectMeta() metav1.Object {
	return &metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, UID: o.UID, ResourceVersion: o.ResourceVersion, Labels: o.Labels}
}

// DeepCopyObject implements runtime.Object. Objects are never changed, so
// the copy shares the JSON and maps.
func (o *Object) DeepCopyObject() runtime.Object {
	c := *o
	return &c
}

// NewObject makes the model's form of u (of kind k; k may be podKind).
// u is not changed.
func NewObject(k Kind, u *unstructured.Unstructured) (*Object, error) {
	o := relationsOf(k, u)
	m := u.Object

	// The JSON without what no rule reads: the decoded copy is dropped.
	md, _ := m["metadata"].(map[string]any)
	strip := md != nil && (md["managedFields"] != nil || hasLastApplied(md))
	if strip {
		c := make(map[string]any, len(m))
		for key, v := range m {
			c[key] = v
		}
		mc := make(map[string]any, len(md))
		for key, v := range md {
			if key != "managedFields" {
				mc[key] = v
			}
		}
		if a, ok := md["annotations"].(map[string]any); ok && hasLastApplied(md) {
			ac := make(map[string]any, len(a))
			for key, v := range a {
				if key != lastApplied {
					ac[key] = v
				}
			}
			mc["annotations"] = ac
		}
		c["metadata"] = mc
		m = c
	}
	if m["kind"] == nil || m["apiVersion"] == nil {
		c := make(map[string]any, len(m)+2)
		for key, v := range m {
			c[key] = v
		}
		c["apiVersion"], c["kind"] = o.APIVersion, o.Kind
		m = c
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", k.Kind, o.Namespace, o.Name, err)
	}
	o.JSON = data
	return o, nil
}

// relationsOf is an Object without its JSON: what a review needs of the
// admitted object to find its relations.
func relationsOf(k Kind, u *unstructured.Unstructured) *Object {
	m := u.Object
	o := &Object{}
	o.APIVersion, o.Kind = apiVersion(k), k.Kind
	o.Name, o.Namespace, o.UID, o.ResourceVersion = u.GetName(), intern(u.GetNamespace()), u.GetUID(), u.GetResourceVersion()
	if k.Kind == "Namespace" {
		o.Labels = u.GetLabels()
	}
	switch {
	case k.Kind == "Pod":
		o.Match = labelsOf(nested(m, "metadata", "labels"))
	case k.Workload:
		o.Match = labelsOf(nested(m, "spec", "template", "metadata", "labels"))
	case k.Kind == "Service":
		o.Match = labelsOf(nested(m, "spec", "selector"))
	case k.Kind == "PodDisruptionBudget":
		o.Match = labelsOf(nested(m, "spec", "selector", "matchLabels"))
		exprs, _ := nested(m, "spec", "selector", "matchExpressions").([]any)
		o.MatchAll = len(exprs) > 0 || len(o.Match) == 0
	case k.Kind == "Ingress":
		o.Services = ingressServices(m)
	case k.Kind == "TargetGroupBinding":
		if name, _ := nested(m, "spec", "serviceRef", "name").(string); name != "" {
			o.Services = []string{name}
		}
	case k.Kind == "HorizontalPodAutoscaler":
		kind, _ := nested(m, "spec", "scaleTargetRef", "kind").(string)
		name, _ := nested(m, "spec", "scaleTargetRef", "name").(string)
		if kind != "" && name != "" {
			o.ScaleTarget = kind + "/" + name
		}
	}
	return o
}

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func hasLastApplied(md map[string]any) bool {
	a, _ := md["annotations"].(map[string]any)
	_, ok := a[lastApplied]
	return ok
}

// indexValues are o's values in an index.
func (o *Object) indexValues(index string) []string {
	switch index {
	case IndexPodLabel:
		if o.Kind == "Service" || o.Kind == "PodDisruptionBudget" {
			return nil
		}
		return o.Match
	case IndexSelector:
		if o.Kind != "Service" && o.Kind != "PodDisruptionBudget" {
			return nil
		}
		if o.MatchAll {
			return append(o.Match[:len(o.Match):len(o.Match)], MatchAnything)
		}
		return o.Match
	case IndexService:
		return o.Services
	case IndexScaleTarget:
		if o.ScaleTarget == "" {
			return nil
		}
		return []string{o.ScaleTarget}
	}
	return nil
}

// Labels are label pairs as "key=value" strings, sorted, each string
// shared by every object with the same pair (label keys hold no "="). The
// model keeps them instead of maps: a few strings in one slice are less for
// the garbage collector to mark on every collection than a map per object,
// and they are the index values as they are.
type Labels []string

// labelsOf reads a JSON object of strings as Labels; nil when empty.
func labelsOf(v any) Labels {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	out := make(Labels, 0, len(m))
	for k, e := range m {
		if s, ok := e.(string); ok {
			out = append(out, intern(k+"="+s))
		}
	}
	sort.Strings(out)
	return out
}

// has reports whether l holds the pair.
func (l Labels) has(pair string) bool {
	i := sort.SearchStrings(l, pair)
	return i < len(l) && l[i] == pair
}

// selects reports whether every pair of selector is in labels (an empty
// selector selects nothing here: a Service without one has no pods).
func selects(selector, labels Labels) bool {
	if len(selector) == 0 {
		return false
	}
	for _, p := range selector {
		if !labels.has(p) {
			return false
		}
	}
	return true
}

// intern returns the one shared copy of s (strings that many objects
// repeat: namespaces, label pairs), so the model holds each once.
func intern(s string) string { return unique.Make(s).Value() }

// apiVersions are the apiVersion strings of the kinds, made once rather
// than for each object.
var apiVersions = func() map[schema.GroupVersion]string {
	m := map[schema.GroupVersion]string{}
	for _, k := range append(Kinds[:len(Kinds):len(Kinds)], podKind) {
		m[k.GroupVersion()] = k.GroupVersion().String()
	}
	return m
}()

func apiVersion(k Kind) string {
	if v, ok := apiVersions[k.GroupVersion()]; ok {
		return v
	}
	return k.GroupVersion().String()
}

// ingressServices are the Service names of an Ingress's backends.
func ingressServices(m map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	add := func(b any) {
		bm, _ := b.(map[string]any)
		name, _ := nested(bm, "service", "name").(string)
		if name == "" {
			name, _ = bm["serviceName"].(string) // extensions/v1beta1 shape
		}
		if name != "" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	add(nested(m, "spec", "defaultBackend"))
	add(nested(m, "spec", "backend"))
	rules, _ := nested(m, "spec", "rules").([]any)
	for _, r := range rules {
		rm, _ := r.(map[string]any)
		paths, _ := nested(rm, "http", "paths").([]any)
		for _, p := range paths {
			pm, _ := p.(map[string]any)
			add(pm["backend"])
		}
	}
	sort.Strings(out)
	return out
}

// ObjectList is a page of Objects, as a list function returns them.
type ObjectList struct {
	metav1.TypeMeta
	metav1.ListMeta
	Items []Object
}

// DeepCopyObject implements runtime.Object.
func (l *ObjectList) DeepCopyObject() runtime.Object {
	c := *l
	c.Items = append([]Object(nil), l.Items...)
	return &c
}
