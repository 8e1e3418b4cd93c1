package webhook

import (
	"context"
	"sort"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Kind is one kind of object the webhook reads around an admitted object.
type Kind struct {
	schema.GroupVersionKind
	// Resource is the plural resource name (for RBAC and messages).
	Resource   string
	Namespaced bool
	// Workload kinds run pods; their objects are read only when the
	// admitted object is not itself a workload.
	Workload bool
	// Optional kinds are custom resources that may not be installed.
	Optional bool
	// Context kinds are read for the rules but never judged: no rule
	// reports a finding on one (they tell how an Ingress is served), so
	// their admissions are not reviewed, and not sent (Rules).
	Context bool
}

// Kinds are the kinds the webhook keeps in its model (one informer each),
// in the order they are added to a check.
var Kinds = []Kind{
	{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Resource: "namespaces"},
	{GroupVersionKind: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "IngressClass"}, Resource: "ingressclasses", Context: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "IngressClassParams"}, Resource: "ingressclassparams", Optional: true, Context: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Resource: "deployments", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}, Resource: "statefulsets", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, Resource: "daemonsets", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}, Resource: "rollouts", Namespaced: true, Workload: true, Optional: true},
	{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "Service"}, Resource: "services", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, Resource: "ingresses", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}, Resource: "poddisruptionbudgets", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}, Resource: "horizontalpodautoscalers", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBinding"}, Resource: "targetgroupbindings", Namespaced: true, Optional: true},
}

// podKind is reviewed but not kept in the model: a bare Pod is a workload
// of its own; a Pod with a controller was checked through its owner's
// template. Pods are the most numerous objects of a cluster, and no review
// needs the others.
var podKind = Kind{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, Resource: "pods", Namespaced: true, Workload: true}

// kindOf returns the model kind of a group and kind.
func kindOf(gk schema.GroupKind) (Kind, bool) {
	for _, k := range Kinds {
		if k.GroupKind() == gk {
			return k, true
		}
	}
	return Kind{}, false
}

// Source is what the webhook knows of the cluster around an admitted object:
// its model, kept by informers and indexed by relation (see Object). The
// objects it returns are shared: callers never change them. An object's
// resourceVersion must change when the object does: the webhook keeps each
// version typed for the rules.
type Source interface {
	// Namespace returns the named Namespace, or nil when it is not known.
	Namespace(ctx context.Context, name string) (*Object, error)
	// Get returns one object, or nil when it is not known.
	Get(ctx context.Context, kind Kind, namespace, name string) (*Object, error)
	// Lookup returns the objects of a kind in a namespace whose index
	// (IndexPodLabel, IndexSelector, IndexService) holds value.
	Lookup(ctx context.Context, kind Kind, namespace, index, value string) ([]*Object, error)
	// List returns every object of a kind in a namespace; cluster-scoped
	// kinds ignore the namespace. A kind the cluster does not serve lists
	// nothing. Reviews list only small kinds (IngressClasses) and, for a
	// Namespace or a budget selecting by expressions, the workloads of one
	// namespace.
	List(ctx context.Context, kind Kind, namespace string) ([]*Object, error)
}

// StaticSource is a Source over a fixed set of objects: for tests and dry
// runs. It indexes nothing (Lookup scans), so it is for small sets; the
// informer-backed source is the one that scales. It is safe for concurrent
// use.
type StaticSource struct {
	mu      sync.RWMutex
	objs    map[schema.GroupKind]map[string]*Object
	version int
}

// NewStaticSource returns a source holding copies of objs.
func NewStaticSource(objs ...*unstructured.Unstructured) *StaticSource {
	s := &StaticSource{objs: map[schema.GroupKind]map[string]*Object{}}
	for _, o := range objs {
		s.Add(o)
	}
	return s
}

// Add puts a copy of o into the source, replacing an object of the same kind,
// namespace and name, with a new resourceVersion.
func (s *StaticSource) Add(o *unstructured.Unstructured) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o = o.DeepCopy()
	s.version++
	o.SetResourceVersion(strconv.Itoa(s.version))
	if o.GetUID() == "" {
		o.SetUID(types.UID("static-" + strconv.Itoa(s.version)))
	}
	gk := o.GroupVersionKind().GroupKind()
	k, _ := kindOf(gk)
	obj, err := NewObject(k, o)
	if err != nil {
		panic(err) // a test's own object
	}
	if s.objs[gk] == nil {
		s.objs[gk] = map[string]*Object{}
	}
	s.objs[gk][o.GetNamespace()+"/"+o.GetName()] = obj
}

// Delete removes an object.
func (s *StaticSource) Delete(gk schema.GroupKind, namespace, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objs[gk], namespace+"/"+name)
}

// Namespace implements Source.
func (s *StaticSource) Namespace(ctx context.Context, name string) (*Object, error) {
	return s.Get(ctx, Kinds[0], "", name)
}

// Get implements Source.
func (s *StaticSource) Get(_ context.Context, kind Kind, namespace, name string) (*Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !kind.Namespaced {
		namespace = ""
	}
	return s.objs[kind.GroupKind()][namespace+"/"+name], nil
}

// Lookup implements Source.
func (s *StaticSource) Lookup(_ context.Context, kind Kind, namespace, index, value string) ([]*Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Object
	for _, o := range s.objs[kind.GroupKind()] {
		if o.Namespace != namespace {
			continue
		}
		for _, v := range o.indexValues(index) {
			if v == value {
				out = append(out, o)
				break
			}
		}
	}
	sortObjects(out)
	return out, nil
}

// List implements Source.
func (s *StaticSource) List(_ context.Context, kind Kind, namespace string) ([]*Object, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Object
	for _, o := range s.objs[kind.GroupKind()] {
		if !kind.Namespaced || o.Namespace == namespace {
			out = append(out, o)
		}
	}
	sortObjects(out)
	return out, nil
}

func sortObjects(os []*Object) {
	sort.Slice(os, func(i, j int) bool {
		if os[i].Namespace != os[j].Namespace {
			return os[i].Namespace < os[j].Namespace
		}
		return os[i].Name < os[j].Name
	})
}
