package webhook

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	crcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CacheSource reads from controller-runtime informer caches: one watch per
// kind, cluster-wide, kept in memory, so an admission reads no API server.
type CacheSource struct {
	cache  crcache.Cache
	served map[schema.GroupKind]bool
}

// NewCacheSource registers an informer on c for every kind of Kinds the
// cluster serves; custom resources that are not installed are left out and
// named in the returned notes. It does not wait for the caches to fill: the
// cache's WaitForCacheSync says when they have.
func NewCacheSource(ctx context.Context, c crcache.Cache, mapper meta.RESTMapper) (*CacheSource, []string, error) {
	s := &CacheSource{cache: c, served: map[schema.GroupKind]bool{}}
	var notes []string
	for _, k := range Kinds {
		if _, err := mapper.RESTMapping(k.GroupKind(), k.Version); err != nil {
			if meta.IsNoMatchError(err) && k.Optional {
				notes = append(notes, fmt.Sprintf("%s (%s) not served by the cluster: not read", k.Kind, k.Group))
				continue
			}
			return nil, notes, fmt.Errorf("%s: %w", k.Resource, err)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(k.GroupVersionKind)
		if _, err := c.GetInformer(ctx, u, crcache.BlockUntilSynced(false)); err != nil {
			return nil, notes, fmt.Errorf("watch %s: %w", k.Resource, err)
		}
		s.served[k.GroupKind()] = true
	}
	return s, notes, nil
}

// Namespace implements Source.
func (s *CacheSource) Namespace(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	if err := s.cache.Get(ctx, client.ObjectKey{Name: name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return u, nil
}

// List implements Source.
func (s *CacheSource) List(ctx context.Context, kind Kind, namespace string) ([]*unstructured.Unstructured, error) {
	if !s.served[kind.GroupKind()] {
		return nil, nil
	}
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(kind.GroupVersion().WithKind(kind.Kind + "List"))
	// The cache's own objects, not copies: the reviewer never changes them.
	opts := []client.ListOption{client.UnsafeDisableDeepCopy}
	if kind.Namespaced {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := s.cache.List(ctx, l, opts...); err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}
