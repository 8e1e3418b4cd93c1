package webhook

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
)

// InformerSource is the webhook's model of the cluster: one shared informer
// per kind, cluster-wide, holding each object in its compact form (Object)
// and indexed by relation, so a review reads only the objects related to
// the one under review, whatever the size of its namespace.
//
// A Service that an Ingress or a TargetGroupBinding names but the model
// does not hold yet (created moments ago, possibly through another replica,
// its watch event still on the way) is read from the API server, when the
// source has a client for it.
type InformerSource struct {
	informers map[schema.GroupKind]cache.SharedIndexInformer
	kinds     map[schema.GroupKind]Kind
	live      dynamic.Interface
}

// ListerWatcherFunc gives the list-and-watch of one kind.
type ListerWatcherFunc func(Kind) cache.ListerWatcher

// NewInformerSource makes an informer for each of kinds, fed by lw. live,
// when not nil, reads Services named by an Ingress or binding that the
// model lacks. Start runs the informers.
func NewInformerSource(kinds []Kind, lw ListerWatcherFunc, live dynamic.Interface) (*InformerSource, error) {
	s := &InformerSource{informers: map[schema.GroupKind]cache.SharedIndexInformer{}, kinds: map[schema.GroupKind]Kind{}, live: live}
	for _, k := range kinds {
		// No example object: the watch delivers unstructured objects that
		// the transform turns into Objects as they are stored.
		inf := cache.NewSharedIndexInformerWithOptions(lw(k), nil, cache.SharedIndexInformerOptions{
			Indexers:          indexers(k),
			ObjectDescription: k.Resource,
		})
		if err := inf.SetTransform(transform(k)); err != nil {
			return nil, err
		}
		s.informers[k.GroupKind()] = inf
		s.kinds[k.GroupKind()] = k
	}
	return s, nil
}

// Start runs the informers until ctx ends.
func (s *InformerSource) Start(ctx context.Context) {
	for _, inf := range s.informers {
		go inf.RunWithContext(ctx)
	}
}

// HasSynced reports whether every informer has its first full list.
func (s *InformerSource) HasSynced() bool {
	for _, inf := range s.informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every informer has its first full list, or ctx
// ends (false).
func (s *InformerSource) WaitForSync(ctx context.Context) bool {
	var synced []cache.InformerSynced
	for _, inf := range s.informers {
		synced = append(synced, inf.HasSynced)
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// Len is the number of objects the model holds.
func (s *InformerSource) Len() int {
	n := 0
	for _, inf := range s.informers {
		n += len(inf.GetStore().ListKeys())
	}
	return n
}

// indexers are the indexes of a kind: by namespace for the workloads (a
// Namespace's review and a budget selecting by expressions list them), and
// by the relations the kind's objects are found by; namespaced values are
// "namespace/value". Every entry is a set the garbage collector marks on
// each collection, so a kind gets only the indexes that are read.
func indexers(k Kind) cache.Indexers {
	idx := cache.Indexers{}
	if k.Workload {
		idx[cache.NamespaceIndex] = cache.MetaNamespaceIndexFunc
	}
	var names []string
	switch {
	case k.Workload:
		names = []string{IndexPodLabel}
	case k.Kind == "Service" || k.Kind == "PodDisruptionBudget":
		names = []string{IndexSelector}
	case k.Kind == "Ingress" || k.Kind == "TargetGroupBinding":
		names = []string{IndexService}
	case k.Kind == "HorizontalPodAutoscaler":
		names = []string{IndexScaleTarget}
	}
	for _, name := range names {
		idx[name] = func(obj any) ([]string, error) {
			o, ok := obj.(*Object)
			if !ok {
				return nil, nil
			}
			vs := o.indexValues(name)
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = o.Namespace + "/" + v
			}
			return out, nil
		}
	}
	return idx
}

// transform turns what the watch delivers into the model's form as each
// object arrives: the decoded object is garbage once this returns.
func transform(k Kind) cache.TransformFunc {
	return func(in any) (any, error) {
		switch x := in.(type) {
		case *unstructured.Unstructured:
			return NewObject(k, x)
		case *Object:
			return x, nil
		}
		return in, nil
	}
}

// Namespace implements Source.
func (s *InformerSource) Namespace(ctx context.Context, name string) (*Object, error) {
	return s.Get(ctx, Kinds[0], "", name)
}

// Get implements Source. A Service missing from the model is read from the
// API server when the source has a client.
func (s *InformerSource) Get(ctx context.Context, kind Kind, namespace, name string) (*Object, error) {
	inf := s.informers[kind.GroupKind()]
	if inf == nil {
		return nil, nil
	}
	key := name
	if kind.Namespaced {
		key = namespace + "/" + name
	}
	obj, ok, err := inf.GetIndexer().GetByKey(key)
	if err != nil {
		return nil, err
	}
	if ok {
		o, _ := obj.(*Object)
		return o, nil
	}
	if s.live == nil || kind.Kind != "Service" {
		return nil, nil
	}
	u, err := s.live.Resource(kind.GroupVersion().WithResource(kind.Resource)).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s/%s: %w", kind.Resource, namespace, name, err)
	}
	return NewObject(kind, u)
}

// Lookup implements Source. An index the kind does not have finds nothing.
func (s *InformerSource) Lookup(_ context.Context, kind Kind, namespace, index, value string) ([]*Object, error) {
	inf := s.informers[kind.GroupKind()]
	if inf == nil {
		return nil, nil
	}
	if _, ok := inf.GetIndexer().GetIndexers()[index]; !ok {
		return nil, nil
	}
	items, err := inf.GetIndexer().ByIndex(index, namespace+"/"+value)
	return objects(items), err
}

// List implements Source. A namespaced kind without the namespace index
// (only workloads have it) is listed by reading every object of the kind.
func (s *InformerSource) List(_ context.Context, kind Kind, namespace string) ([]*Object, error) {
	inf := s.informers[kind.GroupKind()]
	if inf == nil {
		return nil, nil
	}
	if !kind.Namespaced {
		return objects(inf.GetStore().List()), nil
	}
	if _, ok := inf.GetIndexer().GetIndexers()[cache.NamespaceIndex]; !ok {
		var items []any
		for _, it := range inf.GetStore().List() {
			if o, ok := it.(*Object); ok && o.Namespace == namespace {
				items = append(items, o)
			}
		}
		return objects(items), nil
	}
	items, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, namespace)
	return objects(items), err
}

func objects(items []any) []*Object {
	out := make([]*Object, 0, len(items))
	for _, it := range items {
		if o, ok := it.(*Object); ok {
			out = append(out, o)
		}
	}
	sortObjects(out)
	return out
}

// listPage is the page size of the list a watch starts from, when the
// server does not stream the initial objects: each page is turned into
// Objects before the next is read.
const listPage = 500

// DynamicListerWatcher lists and watches a kind through the API server,
// cluster-wide.
func DynamicListerWatcher(c dynamic.Interface) ListerWatcherFunc {
	return func(k Kind) cache.ListerWatcher {
		ri := c.Resource(k.GroupVersion().WithResource(k.Resource))
		return &cache.ListWatch{
			DisableChunking: true,
			ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
				out := &ObjectList{}
				opts.Limit, opts.Continue = listPage, ""
				opts.ResourceVersion, opts.ResourceVersionMatch = "", ""
				for {
					page, err := ri.List(ctx, opts)
					if err != nil {
						return nil, err
					}
					for i := range page.Items {
						o, err := NewObject(k, &page.Items[i])
						if err != nil {
							return nil, err
						}
						out.Items = append(out.Items, *o)
					}
					out.ResourceVersion = page.GetResourceVersion()
					if opts.Continue = page.GetContinue(); opts.Continue == "" {
						return out, nil
					}
				}
			},
			WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
				return ri.Watch(ctx, opts)
			},
		}
	}
}

// StaticListerWatcher serves a fixed set of objects per kind and a watch
// that never delivers an event: a model loaded from generated objects, for
// benchmarks at a scale a test control plane cannot hold. generate yields
// the objects of one kind, one at a time, when the informer lists; each is
// turned into an Object as it comes, as from a streamed watch.
func StaticListerWatcher(generate func(Kind, func(*unstructured.Unstructured))) ListerWatcherFunc {
	return func(k Kind) cache.ListerWatcher {
		return &staticLW{cache.ListWatch{
			ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
				out := &ObjectList{ListMeta: metav1.ListMeta{ResourceVersion: "1"}}
				var err error
				generate(k, func(u *unstructured.Unstructured) {
					o, e := NewObject(k, u)
					if e != nil {
						err = e
						return
					}
					out.Items = append(out.Items, *o)
				})
				if err != nil {
					return nil, err
				}
				return out, nil
			},
			WatchFuncWithContext: func(ctx context.Context, _ metav1.ListOptions) (watch.Interface, error) {
				w := watch.NewFake()
				go func() {
					select {
					case <-ctx.Done():
					case <-time.After(24 * time.Hour):
					}
					w.Stop()
				}()
				return w, nil
			},
		}}
	}
}

// staticLW is a ListWatch that says it does not stream its initial list
// (the reflector lists it instead).
type staticLW struct{ cache.ListWatch }

func (*staticLW) IsWatchListSemanticsUnSupported() bool { return true }
