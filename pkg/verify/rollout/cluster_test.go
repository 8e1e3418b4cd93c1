package rollout

// The watcher against a real control plane (internal/testenv): the real
// Deployment, ReplicaSet and EndpointSlice controllers roll the pods, and
// kwok plays the kubelet. The fake-clientset tests in rollout_test.go pin
// the exact event sequence; this one checks that a real rollout produces
// the same story.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { testenv.Main(m, testenv.Options{}) }

// onCluster gives a test the shared control plane (skipped with -short), a
// namespace of its own, a client, and two minutes.
func onCluster(t *testing.T) (*testenv.Env, string, kubernetes.Interface, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a control plane")
	}
	env := testenv.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return env, env.Namespace(t), env.Client(), ctx
}

func TestRolloutOnRealControlPlane(t *testing.T) {
	env, ns, client, ctx := onCluster(t)

	labels := map[string]string{"app": "web"}
	replicas := int32(2)
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	grace := int64(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &one}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					// Old pods stay Terminating for their grace period, as
					// with a preStop sleep, so the endpoints show it.
					testenv.AnnotationHonourGracePeriod: "true",
				}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: &grace,
					Containers: []corev1.Container{{Name: "app", Image: "example/web:1",
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
				},
			},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	if _, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.AvailableReplicas == replicas && d.Status.ObservedGeneration == d.Generation {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("deployment never became available: %+v\n%s", d.Status, env.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}

	w, recorded := watchWeb(t, ctx, client, ns)
	if got := w.Services(); len(got) != 1 || got[0] != "web" {
		t.Fatalf("services %v", got)
	}
	// Let the endpoints of the initial pods arrive before the restart.
	time.Sleep(500 * time.Millisecond)
	if err := w.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.Done():
	case <-ctx.Done():
		t.Fatalf("rollout did not settle\n%s", env.LogTail(20))
	}
	if err := w.Err(); err != nil {
		t.Fatal(err)
	}
	d, err := client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, d.Spec.Template.Annotations[RestartAnnotation]); err != nil {
		t.Errorf("restart annotation %q", d.Spec.Template.Annotations[RestartAnnotation])
	}

	// Endpoint removals can trail the pods' deletion.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		n := 0
		for _, e := range recorded() {
			if e.Reason == "endpoint-removed" {
				n++
			}
		}
		if n >= 2 {
			break
		}
	}
	events := recorded()
	count := map[string]int{}
	var lines []string
	for i, e := range events {
		count[e.Kind+":"+e.Reason]++
		lines = append(lines, e.Kind+" "+e.Object+" "+e.Reason+" "+e.Detail)
		if i > 0 && e.At.Before(events[i-1].At) {
			t.Errorf("event %d goes back in time", i)
		}
	}
	story := strings.Join(lines, "\n")
	// The story starts with the restart; it is settled only after the last
	// old pod is gone (endpoint removals may still follow).
	lastDeleted, settled := -1, -1
	for i, e := range events {
		switch {
		case e.Kind == "pod" && e.Reason == "deleted":
			lastDeleted = i
		case e.Kind == "rollout" && e.Reason == "settled":
			settled = i
		}
	}
	if events[0].Reason != "restart" || settled < lastDeleted {
		t.Errorf("the story must start with the restart and settle after the last deletion:\n%s", story)
	}
	for key, want := range map[string]int{
		"pod:created": 2, "pod:ready": 2, "pod:terminating": 2, "pod:deleted": 2,
		"endpoint:endpoint-ready": 2, "endpoint:endpoint-removed": 2,
		"rollout:complete": 1, "rollout:settled": 1,
	} {
		if count[key] < want {
			t.Errorf("%d %s events, want at least %d:\n%s", count[key], key, want, story)
		}
	}
	// With a 2 s grace period honoured, each old endpoint is seen
	// terminating before it is removed.
	if count["endpoint:endpoint-terminating"] < 2 {
		t.Errorf("old endpoints not seen terminating:\n%s", story)
	}
	t.Logf("rollout story:\n%s", story)
}
