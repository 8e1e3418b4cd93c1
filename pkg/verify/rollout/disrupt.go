package rollout

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/zerodrop/zerodrop/pkg/verify"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
)

// EvictionRetry is how long a drain waits before asking again for an
// eviction a PodDisruptionBudget refused, as `kubectl drain` does.
const EvictionRetry = 5 * time.Second

// ScaleTo sets the Deployment's replicas, as `kubectl scale` does, and
// reports a "scale-in" event. The watcher settles once the Deployment has
// that many pods and no terminating one.
func (w *Watcher) ScaleTo(ctx context.Context, replicas int32) error {
	if replicas < 0 {
		return fmt.Errorf("scale to %d: want 0 or more replicas", replicas)
	}
	now := w.now()
	patch := fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)
	dep, err := w.client.AppsV1().Deployments(w.namespace).Patch(ctx, w.name, types.StrategicMergePatchType,
		[]byte(patch), metav1.PatchOptions{FieldManager: "zerodrop"})
	if err != nil {
		return fmt.Errorf("scaling deployment/%s: %w", w.name, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.generation = max(dep.Generation, 1)
	w.emitLocked(verify.Event{At: now, Kind: "rollout", Object: "deployment/" + w.name, Reason: "scale-in",
		Detail: fmt.Sprintf("replicas %d, generation %d", replicas, dep.Generation)})
	w.dep = dep
	w.checkLocked()
	return nil
}

// BusiestNode returns the node that runs most of the Deployment's pods
// (ties broken by name), the natural one to drain.
func (w *Watcher) BusiestNode(ctx context.Context) (string, error) {
	pods, err := w.client.CoreV1().Pods(w.namespace).List(ctx, metav1.ListOptions{LabelSelector: w.selector.String()})
	if err != nil {
		return "", err
	}
	count := map[string]int{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.DeletionTimestamp == nil {
			count[p.Spec.NodeName]++
		}
	}
	var nodes []string
	for n := range count {
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return "", fmt.Errorf("no pod of deployment/%s runs on a node", w.name)
	}
	sort.Slice(nodes, func(i, j int) bool {
		if count[nodes[i]] != count[nodes[j]] {
			return count[nodes[i]] > count[nodes[j]]
		}
		return nodes[i] < nodes[j]
	})
	return nodes[0], nil
}

// Drain does what `kubectl drain` does to node: it cordons it and evicts
// every pod on it but DaemonSet and mirror pods, through the eviction API
// (so PodDisruptionBudgets are honoured; a refused eviction is asked again
// every EvictionRetry), and reports "drain", "cordon" and "evict" events.
// It returns once the evictions are started; the watcher settles when every
// evicted pod is gone and the Deployment is available again. The node stays
// cordoned, as after kubectl drain.
func (w *Watcher) Drain(ctx context.Context, node string) error {
	now := w.now()
	dep, err := w.client.AppsV1().Deployments(w.namespace).Get(ctx, w.name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if _, err := w.client.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType,
		[]byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{FieldManager: "zerodrop"}); err != nil {
		return fmt.Errorf("cordoning node/%s: %w", node, err)
	}
	pods, err := w.client.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		return fmt.Errorf("pods on node/%s: %w", node, err)
	}
	type ref struct{ namespace, name string }
	var victims []ref
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Annotations["kubernetes.io/config.mirror"] != "" {
			continue
		}
		if c := metav1.GetControllerOf(&p); c != nil && c.Kind == "DaemonSet" {
			continue
		}
		victims = append(victims, ref{p.Namespace, p.Name})
	}
	w.mu.Lock()
	w.generation = max(dep.Generation, 1)
	w.evicting = true
	w.emitLocked(verify.Event{At: now, Kind: "rollout", Object: "deployment/" + w.name, Reason: "drain",
		Detail: fmt.Sprintf("node/%s: %d pods to evict", node, len(victims))})
	w.event("node", "node/"+node, "cordon", "")
	w.mu.Unlock()

	go func() {
		var g errgroup.Group
		for _, v := range victims {
			g.Go(func() error { return w.evict(ctx, v.namespace, v.name) })
		}
		err := g.Wait()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.evicting = false
		if err != nil {
			w.fail(err)
			return
		}
		w.checkLocked()
	}()
	return nil
}

// evict asks for one eviction until it is granted, the pod is gone or ctx
// ends.
func (w *Watcher) evict(ctx context.Context, namespace, name string) error {
	for {
		err := w.client.PolicyV1().Evictions(namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}})
		switch {
		case err == nil:
			w.locked(func() {
				if namespace == w.namespace {
					w.evicted[name] = true
				}
				w.event("pod", "pod/"+name, "evicted", "")
			})
			return nil
		case apierrors.IsNotFound(err):
			return nil
		case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
			// The pod goes with its namespace; kubectl drain takes it as done.
			return nil
		case apierrors.IsTooManyRequests(err):
			w.locked(func() { w.event("pod", "pod/"+name, "eviction-refused", err.Error()) })
		default:
			return fmt.Errorf("evicting pod/%s in %s: %w", name, namespace, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(EvictionRetry):
		}
	}
}
