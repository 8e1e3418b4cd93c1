package webhook

import (
	"context"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
}

// Kinds are the kinds the webhook reads from its cache, in the order they are
// added to a check.
var Kinds = []Kind{
	{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Resource: "namespaces"},
	{GroupVersionKind: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "IngressClass"}, Resource: "ingressclasses"},
	{GroupVersionKind: schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "IngressClassParams"}, Resource: "ingressclassparams", Optional: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Resource: "deployments", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"}, Resource: "statefulsets", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, Resource: "daemonsets", Namespaced: true, Workload: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Rollout"}, Resource: "rollouts", Namespaced: true, Workload: true, Optional: true},
	{GroupVersionKind: schema.GroupVersionKind{Version: "v1", Kind: "Service"}, Resource: "services", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"}, Resource: "ingresses", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "PodDisruptionBudget"}, Resource: "poddisruptionbudgets", Namespaced: true},
	{GroupVersionKind: schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBinding"}, Resource: "targetgroupbindings", Namespaced: true, Optional: true},
}

// Source is what the webhook knows of the cluster around an admitted object.
// The objects it returns are shared (with an informer cache): callers read
// them and never change them. An object's resourceVersion must change when
// the object does: the webhook keeps each version typed for the rules.
type Source interface {
	// Namespace returns the named Namespace, or nil when it is not known.
	Namespace(ctx context.Context, name string) (*unstructured.Unstructured, error)
	// List returns the objects of a kind in a namespace; cluster-scoped
	// kinds ignore the namespace. A kind the cluster does not serve lists
	// nothing.
	List(ctx context.Context, kind Kind, namespace string) ([]*unstructured.Unstructured, error)
}

// StaticSource is a Source over a fixed set of objects: for tests,
// benchmarks and dry runs. It is safe for concurrent use.
type StaticSource struct {
	mu      sync.RWMutex
	objs    map[schema.GroupKind][]*unstructured.Unstructured
	version int
}

// NewStaticSource returns a source holding copies of objs.
func NewStaticSource(objs ...*unstructured.Unstructured) *StaticSource {
	s := &StaticSource{objs: map[schema.GroupKind][]*unstructured.Unstructured{}}
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
	gk := o.GroupVersionKind().GroupKind()
	list := s.objs[gk]
	for i, e := range list {
		if e.GetNamespace() == o.GetNamespace() && e.GetName() == o.GetName() {
			list[i] = o
			return
		}
	}
	s.objs[gk] = append(list, o)
}

// Namespace implements Source.
func (s *StaticSource) Namespace(_ context.Context, name string) (*unstructured.Unstructured, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, o := range s.objs[schema.GroupKind{Kind: "Namespace"}] {
		if o.GetName() == name {
			return o, nil
		}
	}
	return nil, nil
}

// List implements Source.
func (s *StaticSource) List(_ context.Context, kind Kind, namespace string) ([]*unstructured.Unstructured, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*unstructured.Unstructured
	for _, o := range s.objs[kind.GroupKind()] {
		if !kind.Namespaced || o.GetNamespace() == namespace {
			out = append(out, o)
		}
	}
	return out, nil
}
