package webhook

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

// InformerSource is the webhook's model of the cluster: one reflector per
// kind, cluster-wide (the list-and-watch of client-go's informers), filling
// a store of its own that holds each object in its compact form (Object)
// and indexes it by relation, so a review reads only the objects related to
// the one under review, whatever the size of its namespace.
//
// The store is not client-go's indexer: that keeps a set (a map) per index
// value, and most values here (a workload's app label, a Service's
// selector, an Ingress's backend) name one object, so the sets were a
// quarter of the model's memory and much of what the garbage collector
// marks on every collection. Here each value holds a slice, and the objects
// and their index entries change together under one lock.
//
// A Service that an Ingress or a TargetGroupBinding names but the model
// does not hold yet (created moments ago, possibly through another replica,
// its watch event still on the way) is read from the API server, when the
// source has a client for it.
type InformerSource struct {
	stores     map[schema.GroupKind]*kindStore
	reflectors []*cache.Reflector
	live       dynamic.Interface
}

// ListerWatcherFunc gives the list-and-watch of one kind.
type ListerWatcherFunc func(Kind) cache.ListerWatcher

// NewInformerSource makes a reflector and store for each of kinds, fed by
// lw. live, when not nil, reads Services named by an Ingress or binding
// that the model lacks. Start runs the reflectors.
func NewInformerSource(kinds []Kind, lw ListerWatcherFunc, live dynamic.Interface) (*InformerSource, error) {
	s := &InformerSource{stores: map[schema.GroupKind]*kindStore{}, live: live}
	for _, k := range kinds {
		st := newKindStore(k)
		// No expected type: the watch delivers unstructured objects that
		// the store turns into Objects as they arrive.
		r := cache.NewReflectorWithOptions(lw(k), nil, st, cache.ReflectorOptions{Name: k.Resource})
		s.stores[k.GroupKind()] = st
		s.reflectors = append(s.reflectors, r)
	}
	return s, nil
}

// Start runs the reflectors until ctx ends.
func (s *InformerSource) Start(ctx context.Context) {
	for _, r := range s.reflectors {
		go r.RunWithContext(ctx)
	}
}

// HasSynced reports whether every store has its first full list.
func (s *InformerSource) HasSynced() bool {
	for _, st := range s.stores {
		if !st.synced.Load() {
			return false
		}
	}
	return true
}

// WaitForSync waits until every store has its first full list, or ctx
// ends (false).
func (s *InformerSource) WaitForSync(ctx context.Context) bool {
	var synced []cache.InformerSynced
	for _, st := range s.stores {
		synced = append(synced, st.synced.Load)
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// Len is the number of objects the model holds.
func (s *InformerSource) Len() int {
	n := 0
	for _, st := range s.stores {
		st.mu.RLock()
		n += len(st.items)
		st.mu.RUnlock()
	}
	return n
}

// indexNamespace is the one index name a namespace listing is kept under (only
// for workloads: a Namespace's review and a budget selecting by
// expressions list them).
const indexNamespace = "zerodrop/namespace"

// indexKey is one entry of a store's indexes: the objects of a namespace
// with a value in an index.
type indexKey struct {
	index, namespace, value string
}

// kindStore holds the objects of one kind and their indexes; the
// reflector writes it (cache.ReflectorStore), reviews read it.
type kindStore struct {
	kind   Kind
	synced atomic.Bool

	mu    sync.RWMutex
	items map[string]*Object
	index map[indexKey][]*Object
}

func newKindStore(k Kind) *kindStore {
	return &kindStore{kind: k, items: map[string]*Object{}, index: map[indexKey][]*Object{}}
}

// indexes are the indexes of the store's kind: the relations its objects
// are found by.
func (st *kindStore) indexes() []string {
	k := st.kind
	switch {
	case k.Workload:
		return []string{indexNamespace, IndexPodLabel}
	case k.Kind == "Service" || k.Kind == "PodDisruptionBudget":
		return []string{IndexSelector}
	case k.Kind == "Ingress" || k.Kind == "TargetGroupBinding":
		return []string{IndexService}
	case k.Kind == "HorizontalPodAutoscaler":
		return []string{IndexScaleTarget}
	}
	return nil
}

func (st *kindStore) key(namespace, name string) string {
	if st.kind.Namespaced {
		return namespace + "/" + name
	}
	return name
}

// object turns what the reflector delivers into the model's form: the
// decoded object is garbage once this returns.
func (st *kindStore) object(in any) (*Object, error) {
	switch x := in.(type) {
	case *Object:
		return x, nil
	case *unstructured.Unstructured:
		return NewObject(st.kind, x)
	case cache.DeletedFinalStateUnknown:
		return st.object(x.Obj)
	}
	return nil, fmt.Errorf("%s: unexpected %T in the watch", st.kind.Resource, in)
}

// add indexes o; the caller holds mu for writing.
func (st *kindStore) add(o *Object) {
	for _, name := range st.indexes() {
		if name == indexNamespace {
			k := indexKey{index: name, namespace: o.Namespace}
			st.index[k] = append(st.index[k], o)
			continue
		}
		for _, v := range o.indexValues(name) {
			k := indexKey{index: name, namespace: o.Namespace, value: v}
			st.index[k] = append(st.index[k], o)
		}
	}
}

// remove takes o out of the indexes; the caller holds mu for writing.
func (st *kindStore) remove(o *Object) {
	drop := func(k indexKey) {
		list := st.index[k]
		if i := slices.Index(list, o); i >= 0 {
			// slices.Delete clears the vacated end: the old object is
			// not kept alive by the array behind the slice.
			list = slices.Delete(list, i, i+1)
		}
		if len(list) == 0 {
			delete(st.index, k)
		} else {
			st.index[k] = list
		}
	}
	for _, name := range st.indexes() {
		if name == indexNamespace {
			drop(indexKey{index: name, namespace: o.Namespace})
			continue
		}
		for _, v := range o.indexValues(name) {
			drop(indexKey{index: name, namespace: o.Namespace, value: v})
		}
	}
}

// Add implements cache.ReflectorStore.
func (st *kindStore) Add(obj any) error { return st.Update(obj) }

// Update implements cache.ReflectorStore.
func (st *kindStore) Update(obj any) error {
	o, err := st.object(obj)
	if err != nil {
		return err
	}
	k := st.key(o.Namespace, o.Name)
	st.mu.Lock()
	defer st.mu.Unlock()
	if old := st.items[k]; old != nil {
		st.remove(old)
	}
	st.items[k] = o
	st.add(o)
	return nil
}

// Delete implements cache.ReflectorStore.
func (st *kindStore) Delete(obj any) error {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if old := st.items[key]; old != nil {
		st.remove(old)
		delete(st.items, key)
	}
	return nil
}

// Replace implements cache.ReflectorStore: the list a watch starts from.
func (st *kindStore) Replace(list []any, _ string) error {
	items := make(map[string]*Object, len(list))
	for _, it := range list {
		o, err := st.object(it)
		if err != nil {
			return err
		}
		items[st.key(o.Namespace, o.Name)] = o
	}
	st.mu.Lock()
	st.items, st.index = items, map[indexKey][]*Object{}
	for _, o := range items {
		st.add(o)
	}
	st.mu.Unlock()
	st.synced.Store(true)
	return nil
}

// Resync implements cache.ReflectorStore; there is nothing to resync.
func (st *kindStore) Resync() error { return nil }

// Transformer implements cache.TransformingStore: a list streamed by the
// watch is held in the model's form while it arrives.
func (st *kindStore) Transformer() cache.TransformFunc {
	return func(in any) (any, error) {
		if u, ok := in.(*unstructured.Unstructured); ok {
			return NewObject(st.kind, u)
		}
		return in, nil
	}
}

// lookup returns a copy of an index entry, sorted.
func (st *kindStore) lookup(k indexKey) []*Object {
	st.mu.RLock()
	out := append([]*Object(nil), st.index[k]...)
	st.mu.RUnlock()
	sortObjects(out)
	return out
}

// Namespace implements Source.
func (s *InformerSource) Namespace(ctx context.Context, name string) (*Object, error) {
	return s.Get(ctx, Kinds[0], "", name)
}

// Get implements Source. A Service missing from the model is read from the
// API server when the source has a client.
func (s *InformerSource) Get(ctx context.Context, kind Kind, namespace, name string) (*Object, error) {
	st := s.stores[kind.GroupKind()]
	if st == nil {
		return nil, nil
	}
	st.mu.RLock()
	o := st.items[st.key(namespace, name)]
	st.mu.RUnlock()
	if o != nil {
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
	st := s.stores[kind.GroupKind()]
	if st == nil {
		return nil, nil
	}
	return st.lookup(indexKey{index: index, namespace: namespace, value: value}), nil
}

// List implements Source. A namespaced kind without the namespace index
// (only workloads have it) is listed by reading every object of the kind.
func (s *InformerSource) List(_ context.Context, kind Kind, namespace string) ([]*Object, error) {
	st := s.stores[kind.GroupKind()]
	if st == nil {
		return nil, nil
	}
	if kind.Workload {
		return st.lookup(indexKey{index: indexNamespace, namespace: namespace}), nil
	}
	var out []*Object
	st.mu.RLock()
	for _, o := range st.items {
		if !kind.Namespaced || o.Namespace == namespace {
			out = append(out, o)
		}
	}
	st.mu.RUnlock()
	sortObjects(out)
	return out, nil
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
