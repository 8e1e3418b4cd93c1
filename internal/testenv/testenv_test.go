package testenv_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/zerodrop/zerodrop/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	testenv.Main(m, testenv.Options{})
}

const gate = "target-health.elbv2.k8s.aws/test"

// waitFor polls cond every 50ms until it is true, failing the test after
// timeout with the last error and the control-plane logs.
func waitFor(t *testing.T, env *testenv.Env, timeout time.Duration, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s (last error: %v)%s", timeout, what, last, env.LogTail(15))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func deployment(name string, replicas int32, gates ...string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
				},
			},
		},
	}
	for _, g := range gates {
		d.Spec.Template.Spec.ReadinessGates = append(d.Spec.Template.Spec.ReadinessGates,
			corev1.PodReadinessGate{ConditionType: corev1.PodConditionType(g)})
	}
	return d
}

func podCondition(p *corev1.Pod, typ corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == typ {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func isReady(p *corev1.Pod) bool {
	c := podCondition(p, corev1.PodReady)
	return c != nil && c.Status == corev1.ConditionTrue
}

func listPods(ctx context.Context, c kubernetes.Interface, ns, app string) ([]corev1.Pod, error) {
	l, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// setGate plays the AWS Load Balancer Controller: it sets the readiness
// gate's condition on the pod through the status subresource.
func setGate(ctx context.Context, c kubernetes.Interface, p *corev1.Pod, status corev1.ConditionStatus) error {
	patch, err := json.Marshal(map[string]any{
		"status": map[string]any{
			"conditions": []map[string]any{{
				"type":               gate,
				"status":             status,
				"reason":             "Elb",
				"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			}},
		},
	})
	if err != nil {
		return err
	}
	_, err = c.CoreV1().Pods(p.Namespace).Patch(ctx, p.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

func TestNodes(t *testing.T) {
	env := testenv.Shared(t)
	ctx := context.Background()
	nodes, err := env.Client().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes.Items) != 3 {
		t.Fatalf("got %d nodes, want 3", len(nodes.Items))
	}
	zones := map[string]int{}
	for _, n := range nodes.Items {
		zones[n.Labels[testenv.ZoneLabel]]++
		ready := false
		for _, c := range n.Status.Conditions {
			ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			t.Errorf("node %s is not Ready: %+v", n.Name, n.Status.Conditions)
		}
		if len(n.Spec.Taints) != 0 {
			t.Errorf("node %s has taints %v", n.Name, n.Spec.Taints)
		}
	}
	if len(zones) != 2 {
		t.Errorf("nodes spread over zones %v, want 2 zones", zones)
	}
	v, err := env.Client().Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v.GitVersion, "v1.") || strings.Contains(v.GitVersion, "master") {
		t.Errorf("server version %q: the build should stamp a release version", v.GitVersion)
	}
	t.Logf("server %s, nodes in %v", v.GitVersion, zones)
}

func TestReadinessGateHoldsPodsUntilSet(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()

	if _, err := c.AppsV1().Deployments(ns).Create(ctx, deployment("gated", 3, gate), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pods []corev1.Pod
	waitFor(t, env, 60*time.Second, "3 running pods held back by their gate", func(ctx context.Context) (bool, error) {
		var err error
		pods, err = listPods(ctx, c, ns, "gated")
		if err != nil || len(pods) != 3 {
			return false, err
		}
		for _, p := range pods {
			r := podCondition(&p, corev1.PodReady)
			if p.Status.Phase != corev1.PodRunning || r == nil {
				return false, nil
			}
		}
		return true, nil
	})
	for _, p := range pods {
		r := podCondition(&p, corev1.PodReady)
		if r.Status != corev1.ConditionFalse || r.Reason != "ReadinessGatesNotReady" {
			t.Errorf("pod %s: Ready=%s reason %q, want False ReadinessGatesNotReady", p.Name, r.Status, r.Reason)
		}
		if !strings.Contains(r.Message, gate) {
			t.Errorf("pod %s: Ready message %q does not name the gate", p.Name, r.Message)
		}
		if cr := podCondition(&p, corev1.ContainersReady); cr == nil || cr.Status != corev1.ConditionTrue {
			t.Errorf("pod %s: ContainersReady is not True", p.Name)
		}
		if p.Status.PodIP == "" || p.Spec.NodeName == "" {
			t.Errorf("pod %s: no pod IP or node", p.Name)
		}
	}

	// Nothing else opens the gate: the pods stay not Ready.
	time.Sleep(time.Second)
	d, err := c.AppsV1().Deployments(ns).Get(ctx, "gated", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != 0 {
		t.Fatalf("deployment has %d ready replicas before any gate was set", d.Status.ReadyReplicas)
	}

	// A False condition keeps them out too, with the kubelet's message.
	if err := setGate(ctx, c, &pods[0], corev1.ConditionFalse); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 10*time.Second, "the message for a False gate", func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, pods[0].Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		r := podCondition(p, corev1.PodReady)
		return r != nil && r.Message == `the status of pod readiness gate "`+gate+`" is not "True", but False`, nil
	})
	// kwok's stages agree with themselves: the pod then stays as it is.
	p0, err := c.CoreV1().Pods(ns).Get(ctx, pods[0].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	p1, err := c.CoreV1().Pods(ns).Get(ctx, pods[0].Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p0.ResourceVersion != p1.ResourceVersion {
		t.Errorf("the pod keeps changing without cause: %+v", p1.Status.Conditions)
	}

	began := time.Now()
	for i := range pods {
		if err := setGate(ctx, c, &pods[i], corev1.ConditionTrue); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, env, 30*time.Second, "all pods Ready after the gates were set", func(ctx context.Context) (bool, error) {
		ps, err := listPods(ctx, c, ns, "gated")
		if err != nil {
			return false, err
		}
		n := 0
		for _, p := range ps {
			if isReady(&p) {
				n++
			}
		}
		return n == 3, nil
	})
	t.Logf("pods Ready %s after their gates were set", time.Since(began).Round(time.Millisecond))
	waitFor(t, env, 30*time.Second, "3 ready replicas", func(ctx context.Context) (bool, error) {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, "gated", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == 3, err
	})

	// Closing a gate again takes the pod out, as the kubelet would.
	if err := setGate(ctx, c, &pods[1], corev1.ConditionFalse); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 10*time.Second, "the pod not Ready after its gate closed", func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, pods[1].Name, metav1.GetOptions{})
		return err == nil && !isReady(p), err
	})
}

func TestRollingUpdateCompletes(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()

	d := deployment("web", 3)
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	d.Spec.Strategy = appsv1.DeploymentStrategy{
		Type:          appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &one},
	}
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rolledOut := func(ctx context.Context) (bool, error) {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == 3 && s.Replicas == 3 &&
			s.AvailableReplicas == 3 && s.UnavailableReplicas == 0, nil
	}
	waitFor(t, env, 60*time.Second, "the first rollout", rolledOut)

	// Watch the ready count while the controller-manager rolls the pods:
	// with maxUnavailable 0 it must never drop below 3.
	stop := make(chan struct{})
	minReady := make(chan int32, 1)
	go func() {
		low := int32(3)
		for {
			select {
			case <-stop:
				minReady <- low
				return
			case <-time.After(20 * time.Millisecond):
			}
			d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			if err == nil && d.Status.ReadyReplicas < low {
				low = d.Status.ReadyReplicas
			}
		}
	}()

	began := time.Now()
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"zerodrop.test/revision":"2"}}}}}`)
	if _, err := c.AppsV1().Deployments(ns).Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 60*time.Second, "the rolling update", rolledOut)
	close(stop)
	t.Logf("rolling update of 3 pods done in %s", time.Since(began).Round(time.Millisecond))
	if low := <-minReady; low < 3 {
		t.Errorf("ready replicas fell to %d during a rollout with maxUnavailable 0", low)
	}

	waitFor(t, env, 30*time.Second, "only new pods left", func(ctx context.Context) (bool, error) {
		pods, err := listPods(ctx, c, ns, "web")
		if err != nil || len(pods) != 3 {
			return false, err
		}
		for _, p := range pods {
			if p.Annotations["zerodrop.test/revision"] != "2" || !isReady(&p) {
				return false, nil
			}
		}
		return true, nil
	})
	rss, err := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) != 2 {
		t.Errorf("got %d ReplicaSets, want 2 (old and new)", len(rss.Items))
	}
}

// A rollout behind readiness gates waits for the load balancer: here the
// test registers each new pod 300ms after it runs, and the controller-manager
// replaces one pod at a time, never dropping below the desired count.
func TestRolloutWaitsForReadinessGates(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	d := deployment("gated-web", 2, gate)
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &one}
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The stand-in for the AWS Load Balancer Controller.
	const registration = 300 * time.Millisecond
	go func() {
		seen := map[string]time.Time{}
		for ctx.Err() == nil {
			pods, _ := listPods(ctx, c, ns, "gated-web")
			for i := range pods {
				p := &pods[i]
				if p.Status.Phase != corev1.PodRunning || p.DeletionTimestamp != nil || podCondition(p, gate) != nil {
					continue
				}
				if first, ok := seen[p.Name]; !ok {
					seen[p.Name] = time.Now()
				} else if time.Since(first) >= registration {
					_ = setGate(ctx, c, p, corev1.ConditionTrue)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	ready := func(ctx context.Context) (bool, error) {
		d, err := c.AppsV1().Deployments(ns).Get(ctx, "gated-web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == 2 && s.Replicas == 2 && s.AvailableReplicas == 2, nil
	}
	waitFor(t, env, 60*time.Second, "the first rollout", ready)

	low := int32(2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if d, err := c.AppsV1().Deployments(ns).Get(ctx, "gated-web", metav1.GetOptions{}); err == nil && d.Status.ReadyReplicas < low {
				low = d.Status.ReadyReplicas
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	began := time.Now()
	patch := []byte(`{"spec":{"template":{"metadata":{"annotations":{"zerodrop.test/revision":"2"}}}}}`)
	if _, err := c.AppsV1().Deployments(ns).Patch(ctx, "gated-web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 60*time.Second, "the rolling update", ready)
	took := time.Since(began)
	cancel()
	<-done
	t.Logf("rollout of 2 pods with a %s registration: %s", registration, took.Round(time.Millisecond))
	if took < 2*registration {
		t.Errorf("rollout took %s; each of the 2 new pods should have waited %s for its gate", took, registration)
	}
	if low < 2 {
		t.Errorf("ready replicas fell to %d during the rollout", low)
	}
}

func TestPodDisruptionBudgetStatus(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()

	if _, err := c.AppsV1().Deployments(ns).Create(ctx, deployment("api", 3), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	two := intstr.FromInt32(2)
	pdb := &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &two,
			Selector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
		},
	}
	if _, err := c.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, pdb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got policyv1.PodDisruptionBudgetStatus
	waitFor(t, env, 60*time.Second, "the PDB status from the disruption controller", func(ctx context.Context) (bool, error) {
		p, err := c.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = p.Status
		return p.Status.ObservedGeneration == p.Generation && p.Status.CurrentHealthy == 3, nil
	})
	if got.DesiredHealthy != 2 || got.ExpectedPods != 3 || got.DisruptionsAllowed != 1 {
		t.Errorf("PDB status %+v, want desiredHealthy 2, expectedPods 3, disruptionsAllowed 1", got)
	}
}

func TestPodTimingAnnotations(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()

	grace := int64(3)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "slow",
			Annotations: map[string]string{
				testenv.AnnotationStartDelay:        "2s",
				testenv.AnnotationHonourGracePeriod: "true",
			},
		},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: &grace,
			Containers:                    []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
		},
	}
	created := time.Now()
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 30*time.Second, "the delayed pod Ready", func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, "slow", metav1.GetOptions{})
		return err == nil && isReady(p), err
	})
	if took := time.Since(created); took < 2*time.Second {
		t.Errorf("pod with a 2s start delay was Ready after %s", took)
	}

	deleted := time.Now()
	if err := c.CoreV1().Pods(ns).Delete(ctx, "slow", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 30*time.Second, "the pod gone at the end of its grace period", func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().Pods(ns).Get(ctx, "slow", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if took := time.Since(deleted); took < time.Duration(grace)*time.Second || took > time.Duration(grace+2)*time.Second {
		t.Errorf("pod that honours a %ds grace period was gone after %s", grace, took)
	}
	t.Logf("start delay 2s: Ready after %s; grace period %ds: gone after %s",
		deleted.Sub(created).Round(time.Millisecond), grace, time.Since(deleted).Round(time.Millisecond))

	// Without annotations a deleted pod goes at once.
	plain := pod.DeepCopy()
	plain.Name, plain.Annotations = "plain", nil
	if _, err := c.CoreV1().Pods(ns).Create(ctx, plain, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 30*time.Second, "the plain pod Ready", func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, "plain", metav1.GetOptions{})
		return err == nil && isReady(p), err
	})
	deleted = time.Now()
	if err := c.CoreV1().Pods(ns).Delete(ctx, "plain", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, env, 10*time.Second, "the plain pod gone", func(ctx context.Context) (bool, error) {
		_, err := c.CoreV1().Pods(ns).Get(ctx, "plain", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if took := time.Since(deleted); took > 2*time.Second {
		t.Errorf("a plain pod took %s to go", took)
	}
}

func TestWebhookWithIssuedCert(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()

	certPEM, keyPEM, err := env.IssueServingCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		review.Response = &admissionv1.AdmissionResponse{
			UID:     review.Request.UID,
			Allowed: false,
			Result:  &metav1.Status{Message: "denied by the test webhook"},
		}
		review.Request = nil
		_ = json.NewEncoder(w).Encode(review)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()

	fail := admissionregistrationv1.Fail
	none := admissionregistrationv1.SideEffectClassNone
	url := srv.URL
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: ns},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "deny.zerodrop.test",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: env.CACertPEM},
			Rules:                   []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create}, Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}},
			FailurePolicy:           &fail,
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	i := 0
	waitFor(t, env, 30*time.Second, "the webhook to deny a ConfigMap", func(ctx context.Context) (bool, error) {
		i++
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("canary-%d", i)}}
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		if err != nil && strings.Contains(err.Error(), "denied by the test webhook") {
			return true, nil
		}
		return false, err
	})
}

func TestKubectl(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	if _, err := env.KubectlPath(); err != nil {
		t.Fatal(err)
	}
	out, _, err := env.Kubectl("get", "nodes", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "node/") != 3 {
		t.Errorf("kubectl get nodes: %q", out)
	}

	manifest := `apiVersion: v1
kind: ConfigMap
metadata:
  name: from-kubectl
data:
  a: "1"
`
	cmd, err := env.KubectlCmd(context.Background(), "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = strings.NewReader(manifest)
	b, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "configmap/from-kubectl created") {
		t.Fatalf("kubectl apply: %v: %s", err, b)
	}

	// Strict field validation: an unknown field is an error on stderr.
	cmd, err = env.KubectlCmd(context.Background(), "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = strings.NewReader(strings.Replace(manifest, "\ndata:", "\nbogus: 1\ndata:", 1))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("kubectl apply accepted an unknown field")
	}
	if !strings.Contains(stderr.String(), `unknown field "bogus"`) {
		t.Errorf("kubectl stderr does not name the unknown field: %s", stderr.String())
	}
}

func TestStopAPIServerAndStop(t *testing.T) {
	env := testenv.New(t, testenv.Options{Nodes: 1})
	c := env.Client()
	ctx := context.Background()
	if _, err := c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	env.StopAPIServer()
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := c.CoreV1().Namespaces().Get(ctx2, "default", metav1.GetOptions{}); err == nil {
		t.Fatal("a call succeeded with the API server stopped")
	} else {
		t.Logf("with the API server stopped: %v", err)
	}

	if err := env.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("after StartAPIServer: %v", err)
	}

	pids := env.PIDs()
	if len(pids) != 5 {
		t.Fatalf("PIDs: %v, want 5 processes", pids)
	}
	env.Stop()
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("%s (pid %d) is still running after Stop", name, pid)
		}
	}
	if _, err := os.Stat(env.Dir); !errors.Is(err, os.ErrNotExist) && os.Getenv("ZERODROP_TESTENV_KEEP") == "" {
		t.Errorf("working directory %s is left after Stop (%v)", env.Dir, err)
	}
}

// alive reports whether the process exists and is not a zombie waiting to be
// reaped (an orphan's zombie stays until init reaps it).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// childEnv makes the test binary start a control plane, print its process
// ids and working directory as one JSON line, and wait to be killed.
const childEnv = "ZERODROP_TESTENV_CHILD"

type childReport struct {
	PIDs map[string]int
	Dir  string
}

func runChild() {
	env, err := testenv.Start(context.Background(), testenv.Options{Nodes: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	_ = json.NewEncoder(os.Stdout).Encode(childReport{PIDs: env.PIDs(), Dir: env.Dir})
	select {}
}

// A test binary killed with SIGKILL runs no cleanup at all; the control
// plane must die with it.
func TestKilledTestBinaryLeavesNothing(t *testing.T) {
	testenv.Require(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("the child did not start its control plane")
	}
	var rep childReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q: %v", line, err)
	}
	defer os.RemoveAll(rep.Dir)
	if len(rep.PIDs) != 5 {
		t.Errorf("child reported %v, want 5 processes", rep.PIDs)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()

	deadline := time.Now().Add(10 * time.Second)
	for name, pid := range rep.PIDs {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("%s (pid %d) survived its killed parent", name, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// A start that fails says why, with the logs, and leaves nothing running.
func TestStartFailureReportsLogs(t *testing.T) {
	bin := testenv.Require(t)
	dir := t.TempDir()
	for _, name := range []string{"etcd", "kube-controller-manager", "kube-scheduler", "kwok"} {
		if err := os.Symlink(bin+"/"+name, dir+"/"+name); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\necho 'apiserver: refusing to start for the test' >&2\nexit 1\n"
	if err := os.WriteFile(dir+"/kube-apiserver", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	env, err := testenv.Start(context.Background(), testenv.Options{BinDir: dir})
	if err == nil {
		env.Stop()
		t.Fatal("Start succeeded with a broken kube-apiserver")
	}
	msg := err.Error()
	t.Logf("the error:\n%s", msg)
	if !strings.Contains(msg, "refusing to start for the test") || !strings.Contains(msg, "kube-apiserver exited") {
		t.Errorf("the error does not show why: %s", msg)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("a failed start took %s", took)
	}
	// The error names the kept working directory; etcd was started from it.
	i := strings.Index(msg, "logs are in ")
	if i < 0 {
		t.Fatalf("no log directory in %s", msg)
	}
	logDir := strings.Fields(msg[i+len("logs are in "):])[0]
	defer os.RemoveAll(logDir)
	out, _ := exec.Command("pgrep", "-f", "--", "--data-dir="+logDir).Output()
	if len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("etcd still runs after a failed start: pids %s", out)
	}
}
