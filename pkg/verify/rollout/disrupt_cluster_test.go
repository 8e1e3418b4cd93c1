package rollout

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/verify"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// startWeb creates Deployment web (createWeb) and starts a watcher that
// records its events.
func startWeb(t *testing.T, ctx context.Context, client kubernetes.Interface, ns string, replicas int32) (*Watcher, func() []verify.Event) {
	t.Helper()
	createWeb(t, ctx, client, ns, replicas)
	return watchWeb(t, ctx, client, ns)
}

// watchWeb starts a watcher on Deployment web that records its events,
// stopped when the test ends, and returns it with a copy of the events so far.
func watchWeb(t *testing.T, ctx context.Context, client kubernetes.Interface, ns string) (*Watcher, func() []verify.Event) {
	t.Helper()
	var mu sync.Mutex
	var events []verify.Event
	w, err := Start(ctx, client, ns, "web", func(e verify.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w, func() []verify.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]verify.Event(nil), events...)
	}
}

// createWeb creates Deployment web with replicas pods (grace period 1 s,
// honoured by kwok) and a budget of maxUnavailable 1, and waits for it.
func createWeb(t *testing.T, ctx context.Context, client kubernetes.Interface, ns string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": "web"}
	grace := int64(1)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{testenv.AnnotationHonourGracePeriod: "true"}},
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{Name: "app", Image: "example/web:1"}}},
			},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	one := intstr.FromInt32(1)
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}}}
	if _, err := client.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := client.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.AvailableReplicas == replicas && p.Status.ExpectedPods == replicas {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("deployment never became available: %+v", d.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func story(events []verify.Event) (string, map[string]int) {
	count := map[string]int{}
	var lines []string
	for _, e := range events {
		count[e.Kind+":"+e.Reason]++
		lines = append(lines, e.Kind+" "+e.Object+" "+e.Reason+" "+e.Detail)
	}
	return strings.Join(lines, "\n"), count
}

func waitSettled(t *testing.T, ctx context.Context, w *Watcher) {
	t.Helper()
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatal("the event did not settle")
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestDrainOnRealControlPlane: a drain cordons the busiest node and evicts
// its pods through the eviction API; the budget (maxUnavailable 1) refuses
// the second eviction until the first pod's replacement is available; the
// watcher settles once the evicted pods are gone and the Deployment is whole.
func TestDrainOnRealControlPlane(t *testing.T) {
	_, ns, client, ctx := onCluster(t)
	w, events := startWeb(t, ctx, client, ns, 4)
	node, err := w.BusiestNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Uncordon afterwards: the control plane is shared.
	defer client.CoreV1().Nodes().Patch(context.Background(), node, "application/strategic-merge-patch+json",
		[]byte(`{"spec":{"unschedulable":false}}`), metav1.PatchOptions{})
	if err := w.Drain(ctx, node); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, w)
	n, err := client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil || !n.Spec.Unschedulable {
		t.Errorf("node %s not left cordoned: %v", node, err)
	}
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName == node && p.DeletionTimestamp == nil {
			t.Errorf("pod %s still runs on the drained node", p.Name)
		}
	}
	evs := events()
	s, count := story(evs)
	if count["rollout:drain"] != 1 || count["node:cordon"] != 1 || count["pod:evicted"] < 1 || count["rollout:settled"] != 1 {
		t.Errorf("drain story:\n%s", s)
	}
	// The budget (maxUnavailable 1) lets the second eviction through only
	// once the first pod's replacement is ready (refused and retried, or
	// granted late).
	evicted, readyBetween := 0, false
	for _, e := range evs {
		switch {
		case e.Kind == "pod" && e.Reason == "evicted":
			evicted++
			if evicted == 2 && !readyBetween {
				t.Errorf("second eviction before any replacement was ready:\n%s", s)
			}
		case e.Kind == "pod" && e.Reason == "ready" && evicted == 1:
			readyBetween = true
		}
	}
	t.Logf("drain of %s:\n%s", node, s)
}

// TestScaleInOnRealControlPlane: scaling 3 → 1 settles once two pods are gone.
func TestScaleInOnRealControlPlane(t *testing.T) {
	_, ns, client, ctx := onCluster(t)
	w, events := startWeb(t, ctx, client, ns, 3)
	if err := w.ScaleTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitSettled(t, ctx, w)
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 1 {
		t.Errorf("%d pods left after the scale-in to 1", len(pods.Items))
	}
	s, count := story(events())
	if count["rollout:scale-in"] != 1 || count["pod:terminating"] != 2 || count["pod:deleted"] != 2 || count["rollout:settled"] != 1 {
		t.Errorf("scale-in story:\n%s", s)
	}
	if err := w.ScaleTo(ctx, -1); err == nil {
		t.Error("a negative scale must be refused")
	}
}
