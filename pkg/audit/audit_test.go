package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/cli"
	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/audit"
	"github.com/zerodrop/zerodrop/pkg/check"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// These tests run against a real kube-apiserver, controller-manager,
// scheduler and kwok (internal/testenv). Nothing is faked.
func TestMain(m *testing.M) { testenv.Main(m, testenv.Options{}) }

func clients(t testing.TB, cfg *rest.Config) audit.Clients {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Clients{Dynamic: dyn, Discovery: disc}
}

// exposedApp creates a Deployment behind an ALB (ip targets) in ns and waits
// for its pods to run.
func exposedApp(t *testing.T, c kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "example/app:1",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}}},
			},
		},
	}
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}
	if _, err := c.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	class := "alb"
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: map[string]string{"alb.ingress.kubernetes.io/target-type": "ip"}},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, DefaultBackend: &networkingv1.IngressBackend{
			Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Number: 80}}}},
	}
	if _, err := c.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return false, err
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning {
				running++
			}
		}
		return running == int(replicas), nil
	})
	if err != nil {
		t.Fatalf("pods of %s did not run: %v", name, err)
	}
}

func labelNamespace(t *testing.T, c kubernetes.Interface, ns string) {
	t.Helper()
	patch := []byte(`{"metadata":{"labels":{"elbv2.k8s.aws/pod-readiness-gate-inject":"enabled"}}}`)
	if _, err := c.CoreV1().Namespaces().Patch(context.Background(), ns, "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func findings(res *check.Result, rule string) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Rule == rule && !f.Suppressed {
			out = append(out, f.Object.Namespace+"/"+f.Object.Name+": "+f.Message)
		}
	}
	return out
}

func TestPodsPredatingTheLabel(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	exposedApp(t, c, ns, "web", 2)
	// The label comes after the pods: they never got the gate.
	labelNamespace(t, c, ns)

	res, err := audit.Run(context.Background(), clients(t, env.RESTConfig()), audit.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("audit errors: %+v", res.Errors)
	}
	got := findings(res, "ZD002")
	if len(got) != 1 || !strings.Contains(got[0], "2 of 2 pods") || !strings.Contains(got[0], "no readiness gate") {
		t.Fatalf("want one ZD002 naming the 2 gateless pods, got %q", got)
	}
	var fix string
	for _, f := range res.Findings {
		if f.Rule == "ZD002" {
			fix = f.Fix
		}
	}
	if !strings.Contains(fix, "kubectl rollout restart deployment/web -n "+ns) {
		t.Errorf("fix does not say how to restart: %q", fix)
	}
	// The server's version replaces the assumption.
	for _, a := range res.Assumptions {
		if strings.Contains(a, "assumed") && strings.HasPrefix(a, "Kubernetes") {
			t.Errorf("version assumed although the server was asked: %q", a)
		}
	}
	// Static rules run on the live objects too.
	if len(findings(res, "ZD003")) == 0 {
		t.Error("the pipeline's rules did not run on live objects (no ZD003 for a container without preStop)")
	}
}

func TestNamespaceScope(t *testing.T) {
	env := testenv.Shared(t)
	c := env.Client()
	a, b := env.Namespace(t), env.Namespace(t)
	exposedApp(t, c, a, "one", 1)
	exposedApp(t, c, b, "two", 1)
	cl := clients(t, env.RESTConfig())

	only, err := audit.Run(context.Background(), cl, audit.Options{Namespace: a})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range only.Findings {
		if f.Object.Namespace != "" && f.Object.Namespace != a {
			t.Errorf("-n %s reported an object in %s", a, f.Object.Namespace)
		}
	}
	if len(findings(only, "ZD003")) == 0 {
		t.Fatalf("nothing found in %s", a)
	}
	all, err := audit.Run(context.Background(), cl, audit.Options{AllNamespaces: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range all.Findings {
		seen[f.Object.Namespace] = true
	}
	if !seen[a] || !seen[b] {
		t.Errorf("-A did not cover both namespaces: %v", seen)
	}
}

// TestAPIServerStopsMidRun stops the API server after a few calls: the
// first call that cannot connect ends the audit with one error naming the
// cluster, and no call is made after it.
func TestAPIServerStopsMidRun(t *testing.T) {
	env := testenv.New(t, testenv.Options{Nodes: 1})
	ns := env.Namespace(t)
	exposedApp(t, env.Client(), ns, "web", 1)

	cfg := env.RESTConfig()
	var calls, afterStop atomic.Int32
	var stopped atomic.Bool
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if stopped.Load() {
				afterStop.Add(1)
			}
			// Version, namespace, deployments, statefulsets: then the
			// server goes away.
			if calls.Add(1) == 4 {
				env.StopAPIServer()
				stopped.Store(true)
			}
			return rt.RoundTrip(r)
		})
	}
	began := time.Now()
	res, err := audit.Run(context.Background(), clients(t, cfg), audit.Options{Namespace: ns, Source: "cluster test", CallTimeout: 3 * time.Second})
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("the audit took %s against a dead server", took)
	}
	var ce *audit.ConnectionError
	if !errors.As(err, &ce) || res != nil {
		t.Fatalf("want one connection error and no result, got %v, %+v", err, res)
	}
	if !strings.Contains(err.Error(), "cluster test") || !strings.Contains(err.Error(), "cannot connect") {
		t.Errorf("error does not name the cluster and the cause: %v", err)
	}
	// The call that met the stopped server, and no other.
	if n := afterStop.Load(); n > 1 {
		t.Errorf("%d calls after the server stopped", n)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCLI(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	exposedApp(t, env.Client(), ns, "api", 2)
	var out, errb bytes.Buffer
	code := cli.Main([]string{"audit", "--kubeconfig", env.Kubeconfig, "-n", ns, "-o", "json"}, nil, &out, &errb)
	if code != cli.ExitFindings {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, cli.ExitFindings, out.String(), errb.String())
	}
	var res check.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.SchemaVersion != check.SchemaVersion || len(res.Findings) == 0 {
		t.Fatalf("unexpected result: %+v", res.Summary)
	}
}
