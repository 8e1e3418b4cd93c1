package rollout

// These tests run the watcher against k8s.io/client-go/kubernetes/fake, with
// the test itself playing the Deployment, ReplicaSet and EndpointSlice
// controllers, so that every step and the exact order of the events can be
// pinned down. cluster_test.go runs a rollout on a real control plane
// (internal/testenv).

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/pkg/verify"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const ns = "shop"

func TestParseWorkload(t *testing.T) {
	for in, want := range map[string]string{"deployment/web": "web", "deploy/web": "web", "deployments.apps/web": "web"} {
		if got, err := ParseWorkload(in); err != nil || got != want {
			t.Errorf("ParseWorkload(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"web", "statefulset/db", "deployment/", "deployment/a/b"} {
		if _, err := ParseWorkload(in); err == nil {
			t.Errorf("ParseWorkload(%q) accepted", in)
		}
	}
}

func int32p(n int32) *int32 { return &n }
func boolp(b bool) *bool    { return &b }

func deployment() *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: int32p(2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}},
		},
		Status: appsv1.DeploymentStatus{Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2},
	}
}

func pod(name, hash, ip string, ready bool) *corev1.Pod {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app": "web", "pod-template-hash": hash}},
		Status:     corev1.PodStatus{PodIP: ip, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
	}
}

func endpoint(podName, ip string, ready, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: boolp(ready), Serving: boolp(ready || terminating), Terminating: boolp(terminating)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: podName, Namespace: ns},
	}
}

func slice(name, service string, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: service}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   eps,
	}
}

// cluster is a fake API server with a 2-replica Deployment behind a Service,
// plus a second Service and pod that the watcher must ignore.
type cluster struct {
	t       *testing.T
	client  *fake.Clientset
	watches chan string
	mu      sync.Mutex
	events  []verify.Event
}

func newCluster(t *testing.T, objs ...runtime.Object) *cluster {
	db := pod("db-0", "x", "10.0.0.9", true)
	db.Labels = map[string]string{"app": "db"}
	base := []runtime.Object{
		deployment(),
		pod("web-old-1", "old", "10.0.0.1", true),
		pod("web-old-2", "old", "10.0.0.2", true),
		db,
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}}},
		slice("web-abc", "web", endpoint("web-old-1", "10.0.0.1", true, false), endpoint("web-old-2", "10.0.0.2", true, false)),
		slice("db-xyz", "db", endpoint("db-0", "10.0.0.9", true, false)),
	}
	c := &cluster{t: t, client: fake.NewClientset(append(base, objs...)...), watches: make(chan string, 10)}
	// The fake API server drops what happens between an informer's list and
	// its watch; tell the test when each watch is in place.
	c.client.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		c.watches <- a.GetResource().Resource
		return false, nil, nil
	})
	return c
}

func (c *cluster) start() *Watcher {
	c.t.Helper()
	w, err := Start(context.Background(), c.client, ns, "web", func(e verify.Event) {
		c.mu.Lock()
		c.events = append(c.events, e)
		c.mu.Unlock()
	}, Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(w.Stop)
	for i := 0; i < 3; i++ {
		select {
		case <-c.watches:
		case <-time.After(5 * time.Second):
			c.t.Fatal("watches did not start")
		}
	}
	return w
}

// step applies a change and waits until the watcher has reported n events
// in all.
func (c *cluster) step(n int, change func(ctx context.Context) error) {
	c.t.Helper()
	if err := change(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		got := len(c.events)
		c.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waited for %d events, have %d:\n%s", n, got, c.dump())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (c *cluster) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, e := range c.events {
		fmt.Fprintf(&b, "%s %s %s %s\n", e.Kind, e.Object, e.Reason, e.Detail)
	}
	return b.String()
}

func (c *cluster) setStatus(st appsv1.DeploymentStatus) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		d, err := c.client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Status = st
		_, err = c.client.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	}
}

func (c *cluster) putPod(p *corev1.Pod) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.client.CoreV1().Pods(ns).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			_, err = c.client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
			return err
		}
		_, err = c.client.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
		return err
	}
}

func (c *cluster) terminate(name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		p, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		grace := int64(35)
		p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
		p.Status.Conditions[0].Status = corev1.ConditionFalse
		_, err = c.client.CoreV1().Pods(ns).Update(ctx, p, metav1.UpdateOptions{})
		return err
	}
}

func (c *cluster) deletePod(name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return c.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{})
	}
}

func (c *cluster) putSlice(s *discoveryv1.EndpointSlice) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.client.DiscoveryV1().EndpointSlices(ns).Update(ctx, s, metav1.UpdateOptions{})
		return err
	}
}

// TestRolloutTimeline plays a whole rolling restart, one pod at a time, and
// checks the watcher's account of it.
func TestRolloutTimeline(t *testing.T) {
	c := newCluster(t)
	w := c.start()
	if got := w.Services(); len(got) != 1 || got[0] != "web" {
		t.Fatalf("services %v, want [web]", got)
	}

	c.step(1, w.Restart)
	d, _ := c.client.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
	if _, err := time.Parse(time.RFC3339, d.Spec.Template.Annotations[RestartAnnotation]); err != nil {
		t.Fatalf("restart annotation: %q", d.Spec.Template.Annotations[RestartAnnotation])
	}

	n := 1
	next := func(k int, f func(context.Context) error) { n += k; c.step(n, f) }
	st := appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 1, ReadyReplicas: 2, AvailableReplicas: 2, UnavailableReplicas: 1}
	next(1, c.setStatus(st))
	next(1, c.putPod(pod("web-new-1", "new", "", false)))
	next(1, c.putPod(pod("web-new-1", "new", "10.0.0.3", true)))
	next(1, c.putSlice(slice("web-abc", "web", endpoint("web-old-1", "10.0.0.1", true, false),
		endpoint("web-old-2", "10.0.0.2", true, false), endpoint("web-new-1", "10.0.0.3", true, false))))
	next(2, c.terminate("web-old-1")) // not-ready and terminating
	next(1, c.putSlice(slice("web-abc", "web", endpoint("web-old-1", "10.0.0.1", false, true),
		endpoint("web-old-2", "10.0.0.2", true, false), endpoint("web-new-1", "10.0.0.3", true, false))))
	next(1, c.putSlice(slice("web-abc", "web",
		endpoint("web-old-2", "10.0.0.2", true, false), endpoint("web-new-1", "10.0.0.3", true, false))))
	next(1, c.deletePod("web-old-1"))

	next(1, c.putPod(pod("web-new-2", "new", "10.0.0.4", true))) // created Ready at once: created + ready
	n++
	c.step(n, func(context.Context) error { return nil })
	next(2, c.terminate("web-old-2"))
	// The Deployment is complete once both new pods are available, while
	// web-old-2 is still terminating.
	st = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 2, AvailableReplicas: 2}
	next(2, c.setStatus(st)) // progress + complete
	select {
	case <-w.Done():
		t.Fatalf("settled while an old pod is terminating:\n%s", c.dump())
	default:
	}
	next(1, c.putSlice(slice("web-abc", "web", endpoint("web-new-1", "10.0.0.3", true, false), endpoint("web-new-2", "10.0.0.4", true, false))))
	next(2, c.deletePod("web-old-2")) // deleted + settled
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("not settled:\n%s", c.dump())
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}

	want := []string{
		"rollout deployment/web restart",
		"deployment deployment/web progress",
		"pod pod/web-new-1 created",
		"pod pod/web-new-1 ready",
		"endpoint pod/web-new-1 endpoint-ready",
		"pod pod/web-old-1 not-ready",
		"pod pod/web-old-1 terminating",
		"endpoint pod/web-old-1 endpoint-terminating",
		"endpoint pod/web-old-1 endpoint-removed",
		"pod pod/web-old-1 deleted",
		"pod pod/web-new-2 created",
		"pod pod/web-new-2 ready",
		"pod pod/web-old-2 not-ready",
		"pod pod/web-old-2 terminating",
		"deployment deployment/web progress",
		"rollout deployment/web complete",
		"endpoint pod/web-new-2 endpoint-ready",
		"endpoint pod/web-old-2 endpoint-removed",
		"pod pod/web-old-2 deleted",
		"rollout deployment/web settled",
	}
	c.mu.Lock()
	var got []string
	for i, e := range c.events {
		got = append(got, e.Kind+" "+e.Object+" "+e.Reason)
		if i > 0 && e.At.Before(c.events[i-1].At) {
			t.Errorf("event %d goes back in time", i)
		}
		if strings.Contains(e.Object, "db") {
			t.Errorf("event about an object of another Service: %+v", e)
		}
	}
	c.mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRolloutFailures(t *testing.T) {
	c := newCluster(t)
	if _, err := Start(context.Background(), c.client, ns, "nope", func(verify.Event) {}, Options{}); err == nil ||
		!strings.Contains(err.Error(), "deployment/nope") {
		t.Errorf("missing deployment: %v", err)
	}

	// A rollout that runs past its progress deadline fails.
	w := c.start()
	c.step(1, w.Restart)
	c.step(3, c.setStatus(appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse,
			Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "web-new" has timed out progressing.`}}}))
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a stuck rollout did not end the watch")
	}
	if err := w.Err(); err == nil || !strings.Contains(err.Error(), "timed out progressing") {
		t.Errorf("Err = %v", err)
	}

	// A paused Deployment is not restarted.
	p := deployment()
	p.Name, p.Spec.Paused = "paused", true
	c2 := newCluster(t, p)
	w2, err := Start(context.Background(), c2.client, ns, "paused", func(verify.Event) {}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	if err := w2.Restart(context.Background()); err == nil || !strings.Contains(err.Error(), "paused") {
		t.Errorf("Restart of a paused Deployment: %v", err)
	}
}
