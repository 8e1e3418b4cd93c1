// Package rollout restarts a Deployment the way `kubectl rollout restart`
// does (or scales it in, or drains a node it runs on, as `kubectl scale` and
// `kubectl drain` do) and reports what follows, as verify.Events on the clock of the
// traffic: the Deployment's progress, each pod created, Ready, terminating
// and deleted, and each endpoint of the Services in front of it turning
// ready, terminating or removed in their EndpointSlices.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/zerodrop/zerodrop/pkg/verify"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// RestartAnnotation is the pod template annotation `kubectl rollout restart`
// sets; changing it makes the Deployment roll every pod.
const RestartAnnotation = "kubectl.kubernetes.io/restartedAt"

// ParseWorkload reads "deployment/NAME" (also "deploy/NAME",
// "deployments/NAME" and "deployment.apps/NAME") and returns NAME.
func ParseWorkload(s string) (string, error) {
	kind, name, ok := strings.Cut(s, "/")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("%q: want deployment/NAME", s)
	}
	switch strings.ToLower(kind) {
	case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
		return name, nil
	}
	return "", fmt.Errorf("%q: only Deployments can be rolled (deployment/NAME)", s)
}

// Watcher follows one Deployment, its pods and its endpoints.
type Watcher struct {
	client    kubernetes.Interface
	namespace string
	name      string
	emit      func(verify.Event)
	now       func() time.Time

	selector labels.Selector
	services map[string]bool // Services whose selector picks the Deployment's pods

	mu         sync.Mutex
	generation int64 // the Deployment's generation after the restart; 0 before it
	dep        *appsv1.Deployment
	lastStatus string
	pods       map[string]podState
	endpoints  map[string]endpointState // slice/pod
	complete   bool
	settled    bool
	// evicting is set while a drain still has pods to evict; evicted holds
	// the pods it evicted, which must be seen deleted before it settles.
	evicting bool
	evicted  map[string]bool
	failed   error
	done     chan struct{} // closed when settled or failed
	cancel   context.CancelFunc
}

type podState struct {
	ready       bool
	terminating bool
}

type endpointState struct {
	ready, serving, terminating bool
}

// Options tune a Watcher.
type Options struct {
	// Now is the clock of the events; default time.Now.
	Now func() time.Time
}

// Start looks the Deployment up, finds the Services in front of its pods,
// and starts watching. Events go to emit, one at a time. Start returns once
// the watches have their initial state (the objects that exist already are
// not reported as events). Stop it with Stop.
func Start(ctx context.Context, client kubernetes.Interface, namespace, name string, emit func(verify.Event), opts Options) (*Watcher, error) {
	dep, err := client.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("deployment/%s in %s: %w", name, namespace, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil, fmt.Errorf("deployment/%s in %s: unusable selector: %v", name, namespace, err)
	}
	w := &Watcher{
		client: client, namespace: namespace, name: name, emit: emit, now: opts.Now,
		selector: sel, services: map[string]bool{},
		pods: map[string]podState{}, endpoints: map[string]endpointState{},
		evicted: map[string]bool{}, done: make(chan struct{}),
	}
	if w.now == nil {
		w.now = time.Now
	}
	svcs, err := client.CoreV1().Services(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("services in %s: %w", namespace, err)
	}
	podLabels := labels.Set(dep.Spec.Template.Labels)
	for _, s := range svcs.Items {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			w.services[s.Name] = true
		}
	}

	wctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(namespace))
	depInf := factory.Apps().V1().Deployments().Informer()
	podInf := factory.Core().V1().Pods().Informer()
	sliceInf := factory.Discovery().V1().EndpointSlices().Informer()

	// Objects that exist before the watch starts are the baseline, not
	// events: the handlers record them silently until synced is set.
	var synced bool
	handle := func(f func(obj any, deleted, quiet bool)) cache.ResourceEventHandler {
		return cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { w.locked(func() { f(obj, false, !synced) }) },
			UpdateFunc: func(_, obj any) { w.locked(func() { f(obj, false, false) }) },
			DeleteFunc: func(obj any) {
				if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
					obj = d.Obj
				}
				w.locked(func() { f(obj, true, false) })
			},
		}
	}
	var regs []cache.ResourceEventHandlerRegistration
	for _, x := range []struct {
		inf cache.SharedIndexInformer
		f   func(obj any, deleted, quiet bool)
	}{{depInf, w.onDeployment}, {podInf, w.onPod}, {sliceInf, w.onSlice}} {
		reg, err := x.inf.AddEventHandler(handle(x.f))
		if err != nil {
			cancel()
			return nil, err
		}
		regs = append(regs, reg)
	}
	factory.Start(wctx.Done())
	stop := func(err error) (*Watcher, error) {
		cancel()
		factory.Shutdown()
		return nil, err
	}
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return stop(fmt.Errorf("watching %v in %s: not synced: %v", typ, namespace, ctx.Err()))
		}
	}
	// The handlers may still be working through the initial list.
	for _, reg := range regs {
		for !reg.HasSynced() {
			if ctx.Err() != nil {
				return stop(ctx.Err())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	w.mu.Lock()
	synced = true
	w.mu.Unlock()
	go func() {
		<-wctx.Done()
		factory.Shutdown()
	}()
	return w, nil
}

func (w *Watcher) locked(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
}

// Services returns the names of the Services whose endpoints are watched.
func (w *Watcher) Services() []string {
	var out []string
	for s := range w.services {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Restart patches the pod template's restart annotation with the current
// time, as `kubectl rollout restart` does, and reports a "restart" event.
func (w *Watcher) Restart(ctx context.Context) error {
	now := w.now()
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`,
		RestartAnnotation, now.Format(time.RFC3339))
	w.mu.Lock()
	if w.dep != nil && w.dep.Spec.Paused {
		w.mu.Unlock()
		return fmt.Errorf("deployment/%s is paused: resume it first (kubectl rollout resume)", w.name)
	}
	w.mu.Unlock()
	dep, err := w.client.AppsV1().Deployments(w.namespace).Patch(ctx, w.name, types.StrategicMergePatchType,
		[]byte(patch), metav1.PatchOptions{FieldManager: "zerodrop"})
	if err != nil {
		return fmt.Errorf("restarting deployment/%s: %w", w.name, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.generation = max(dep.Generation, 1)
	w.emitLocked(verify.Event{At: now, Kind: "rollout", Object: "deployment/" + w.name, Reason: "restart",
		Detail: fmt.Sprintf("%s=%s, generation %d", RestartAnnotation, now.Format(time.RFC3339), dep.Generation)})
	w.dep = dep
	w.checkLocked()
	return nil
}

// Done is closed when the rollout has settled — every pod updated and
// available, no old pod left — or has failed (see Err).
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Err is why the rollout failed, or nil.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// Stop ends the watches. Events stop with it.
func (w *Watcher) Stop() {
	w.cancel()
	w.mu.Lock()
	w.emit = nil
	w.mu.Unlock()
}

func (w *Watcher) emitLocked(e verify.Event) {
	if w.emit != nil {
		w.emit(e)
	}
}

func (w *Watcher) event(kind, object, reason, detail string) {
	w.emitLocked(verify.Event{At: w.now(), Kind: kind, Object: object, Reason: reason, Detail: detail})
}

func (w *Watcher) onDeployment(obj any, deleted, quiet bool) {
	dep, ok := obj.(*appsv1.Deployment)
	if !ok || dep.Name != w.name {
		return
	}
	if deleted {
		w.fail(errors.New("the Deployment was deleted"))
		return
	}
	w.dep = dep
	st := dep.Status
	status := fmt.Sprintf("replicas %d, updated %d, ready %d, available %d, unavailable %d",
		st.Replicas, st.UpdatedReplicas, st.ReadyReplicas, st.AvailableReplicas, st.UnavailableReplicas)
	if status != w.lastStatus {
		w.lastStatus = status
		if !quiet && w.generation > 0 {
			w.event("deployment", "deployment/"+w.name, "progress", status)
		}
	}
	w.checkLocked()
}

func (w *Watcher) onPod(obj any, deleted, quiet bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || !w.selector.Matches(labels.Set(pod.Labels)) {
		return
	}
	object := "pod/" + pod.Name
	old, known := w.pods[pod.Name]
	if deleted {
		if known {
			delete(w.pods, pod.Name)
			w.event("pod", object, "deleted", "")
		}
		w.checkLocked()
		return
	}
	now := podState{ready: podReady(pod), terminating: pod.DeletionTimestamp != nil}
	w.pods[pod.Name] = now
	if quiet {
		return
	}
	if !known {
		detail := ""
		if h := pod.Labels["pod-template-hash"]; h != "" {
			detail = "template " + h
		}
		w.event("pod", object, "created", detail)
	}
	if now.ready != old.ready {
		if now.ready {
			w.event("pod", object, "ready", pod.Status.PodIP)
		} else {
			w.event("pod", object, "not-ready", notReadyReason(pod))
		}
	}
	if now.terminating && !old.terminating {
		detail := ""
		if g := pod.DeletionGracePeriodSeconds; g != nil {
			detail = fmt.Sprintf("grace %ds", *g)
		}
		w.event("pod", object, "terminating", detail)
	}
	w.checkLocked()
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func notReadyReason(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady && c.Reason != "" {
			return c.Reason
		}
	}
	return ""
}

func (w *Watcher) onSlice(obj any, deleted, quiet bool) {
	slice, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || !w.services[slice.Labels[discoveryv1.LabelServiceName]] {
		return
	}
	seen := map[string]bool{}
	if !deleted {
		for _, ep := range slice.Endpoints {
			if ep.TargetRef == nil || ep.TargetRef.Kind != "Pod" {
				continue
			}
			key := slice.Name + "/" + ep.TargetRef.Name
			seen[key] = true
			now := endpointState{
				ready:       ep.Conditions.Ready == nil || *ep.Conditions.Ready,
				serving:     ep.Conditions.Serving == nil || *ep.Conditions.Serving,
				terminating: ep.Conditions.Terminating != nil && *ep.Conditions.Terminating,
			}
			old, known := w.endpoints[key]
			w.endpoints[key] = now
			if quiet || (known && old == now) {
				continue
			}
			detail := fmt.Sprintf("service %s, %s, ready=%t serving=%t terminating=%t",
				slice.Labels[discoveryv1.LabelServiceName], strings.Join(ep.Addresses, ","), now.ready, now.serving, now.terminating)
			reason := "endpoint-not-ready"
			switch {
			case now.terminating && (!known || !old.terminating):
				reason = "endpoint-terminating"
			case now.ready:
				reason = "endpoint-ready"
			case now.terminating:
				reason = "endpoint-terminating"
			}
			w.event("endpoint", "pod/"+ep.TargetRef.Name, reason, detail)
		}
	}
	prefix := slice.Name + "/"
	for key := range w.endpoints {
		if strings.HasPrefix(key, prefix) && !seen[key] {
			delete(w.endpoints, key)
			if !quiet {
				w.event("endpoint", "pod/"+strings.TrimPrefix(key, prefix), "endpoint-removed",
					"service "+slice.Labels[discoveryv1.LabelServiceName])
			}
		}
	}
}

// checkLocked decides whether the rollout is complete (as `kubectl rollout
// status` would say) and then settled (no pod left but the new ones).
func (w *Watcher) checkLocked() {
	if w.generation == 0 || w.dep == nil || w.settled || w.failed != nil {
		return
	}
	dep := w.dep
	st := dep.Status
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Reason == "ProgressDeadlineExceeded" {
			w.fail(fmt.Errorf("rollout stuck: %s", c.Message))
			return
		}
	}
	want := int32(1)
	if dep.Spec.Replicas != nil {
		want = *dep.Spec.Replicas
	}
	if w.evicting {
		return
	}
	if !w.complete {
		if st.ObservedGeneration < w.generation || st.UpdatedReplicas < want ||
			st.Replicas > st.UpdatedReplicas || st.AvailableReplicas < st.UpdatedReplicas {
			return
		}
		w.complete = true
		w.event("rollout", "deployment/"+w.name, "complete",
			fmt.Sprintf("%d of %d pods updated and available", st.AvailableReplicas, want))
	}
	for name := range w.evicted {
		if _, ok := w.pods[name]; ok {
			return
		}
	}
	live := 0
	for _, p := range w.pods {
		if p.terminating {
			return
		}
		live++
	}
	if live > int(want) {
		return
	}
	w.settled = true
	w.event("rollout", "deployment/"+w.name, "settled", "no old pod left")
	close(w.done)
}

func (w *Watcher) fail(err error) {
	if w.failed != nil || w.settled {
		return
	}
	w.failed = err
	w.event("rollout", "deployment/"+w.name, "failed", err.Error())
	close(w.done)
}
