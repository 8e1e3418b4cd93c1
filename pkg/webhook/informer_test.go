package webhook

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// The model's store follows the watch: what a lookup, a listing and a get
// return changes with each added, changed and deleted object, and an
// object's old index entries go when its labels change.
func TestInformerSourceFollowsTheWatch(t *testing.T) {
	deployment, _ := kindOf(schema.GroupKind{Group: "apps", Kind: "Deployment"})
	service := serviceKind
	app := func(name, label string) *unstructured.Unstructured {
		u := obj(t, fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %s, namespace: shop, resourceVersion: "1"}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s, tier: web}}
    spec: {containers: [{name: app, image: app}]}
`, name, label, label))
		return u
	}
	svc := obj(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, resourceVersion: \"1\"}\nspec: {selector: {app: web}}\n")
	watches := map[string]*watch.FakeWatcher{"Deployment": watch.NewFakeWithChanSize(10, false), "Service": watch.NewFakeWithChanSize(10, false)}
	lists := map[string][]*unstructured.Unstructured{"Deployment": {app("web", "web"), app("api", "api")}, "Service": {svc}}
	lw := func(k Kind) cache.ListerWatcher {
		// The list, then the watch (not a streamed list).
		return &staticLW{cache.ListWatch{
			ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
				l := &ObjectList{ListMeta: metav1.ListMeta{ResourceVersion: "1"}}
				for _, u := range lists[k.Kind] {
					o, err := NewObject(k, u)
					if err != nil {
						return nil, err
					}
					l.Items = append(l.Items, *o)
				}
				return l, nil
			},
			WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) {
				return watches[k.Kind], nil
			},
		}}
	}
	src, err := NewInformerSource([]Kind{deployment, service}, lw, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src.Start(ctx)
	syncCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if !src.WaitForSync(syncCtx) {
		t.Fatal("not synced")
	}
	names := func(os []*Object, err error) string {
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, o := range os {
			s += o.Name + " "
		}
		return s
	}
	// eventually waits for the store to show want.
	eventually := func(what string, got func() string, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for got() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %q, want %q", what, got(), want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	lookup := func(k Kind, index, value string) func() string {
		return func() string { return names(src.Lookup(ctx, k, "shop", index, value)) }
	}
	list := func() string { return names(src.List(ctx, deployment, "shop")) }
	eventually("listed", list, "api web ")
	eventually("tier=web", lookup(deployment, IndexPodLabel, "tier=web"), "api web ")
	eventually("app=web", lookup(deployment, IndexPodLabel, "app=web"), "web ")
	eventually("selector app=web", lookup(service, IndexSelector, "app=web"), "web ")
	if n := src.Len(); n != 3 {
		t.Errorf("Len %d, want 3", n)
	}

	// api's pods are relabelled web: its old entry goes, the new one holds both.
	moved := app("api", "web")
	moved.SetResourceVersion("2")
	watches["Deployment"].Modify(moved)
	eventually("app=web after the change", lookup(deployment, IndexPodLabel, "app=web"), "api web ")
	eventually("app=api after the change", lookup(deployment, IndexPodLabel, "app=api"), "")
	if o, _ := src.Get(ctx, deployment, "shop", "api"); o == nil || o.ResourceVersion != "2" {
		t.Errorf("get after the change: %+v", o)
	}

	// web goes: from every index, the listing and get.
	watches["Deployment"].Delete(app("web", "web"))
	eventually("app=web after the delete", lookup(deployment, IndexPodLabel, "app=web"), "api ")
	eventually("listed after the delete", list, "api ")
	if o, _ := src.Get(ctx, deployment, "shop", "web"); o != nil {
		t.Errorf("web still there after its delete")
	}
	// A new Service arrives; one in another namespace is not found here.
	other := obj(t, "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: other, resourceVersion: \"1\"}\nspec: {selector: {app: web}}\n")
	watches["Service"].Add(other)
	eventually("Len after the add", func() string { return fmt.Sprint(src.Len()) }, "3")
	eventually("selector app=web in shop", lookup(service, IndexSelector, "app=web"), "web ")
	if got := names(src.List(ctx, service, "other")); got != "web " {
		t.Errorf("Services of other: %q", got)
	}
	// An index the kind does not have finds nothing.
	if got := names(src.Lookup(ctx, service, "shop", IndexPodLabel, "app=web")); got != "" {
		t.Errorf("pod-label lookup of Services: %q", got)
	}
}
