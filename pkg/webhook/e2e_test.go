package webhook_test

// These tests run the webhook against a real kube-apiserver,
// kube-controller-manager, scheduler and kwok (internal/testenv): the API
// server calls it through real webhook configurations, kubectl prints its
// warnings, and the Deployment controller rolls out what it mutated.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/internal/testutil"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// TestMain gives controller-runtime its process-wide logger before any test
// runs: the first webhook.Run would otherwise bind it to its own test, and
// a later test's server would log into a finished one (a panic under
// -count=2). Each test still gets the webhook's own log through
// ServerOptions.Log.
func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	testenv.Main(m, testenv.Options{})
}

// frontYAML puts Service web behind an ALB with ip targets.
const frontYAML = `apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    alb.ingress.kubernetes.io/target-type: ip
spec:
  ingressClassName: alb
  defaultBackend:
    service:
      name: web
      port:
        number: 80
`

// exposureYAML is frontYAML and a budget.
const exposureYAML = frontYAML + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: web
`

// webYAML is a Deployment behind that Service, without a preStop hook and
// with a grace period too short for one.
const webYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: example/web:1
        ports:
        - name: http
          containerPort: 8080
        readinessProbe:
          httpGet:
            path: /ready
            port: http
`

// canaryYAML has an error finding with no exposure needed (ZD004: the
// grace period ends before the preStop does), to see the webhook live.
const canaryYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: canary
spec:
  replicas: 0
  selector:
    matchLabels:
      app: canary
  template:
    metadata:
      labels:
        app: canary
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: app
        image: example/app:1
        lifecycle:
          preStop:
            exec:
              command: ["sleep", "30"]
`

// kubectl runs kubectl with manifest on stdin and returns its stderr.
func kubectl(t *testing.T, env *testenv.Env, manifest string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, err := env.KubectlCmd(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = strings.NewReader(manifest)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// certDir writes a serving certificate for 127.0.0.1 as tls.crt/tls.key.
func certDir(t *testing.T, env *testenv.Env) string {
	t.Helper()
	crt, key, err := env.IssueServingCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), crt, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serve runs the webhook in this process until the test ends and returns
// its base URL once it is ready.
func serve(t *testing.T, env *testenv.Env, o webhook.ServerOptions) string {
	t.Helper()
	return serveAs(t, env, env.RESTConfig(), o)
}

// serveAs is serve with the API server's client configuration cfg.
func serveAs(t *testing.T, env *testenv.Env, cfg *rest.Config, o webhook.ServerOptions) string {
	t.Helper()
	o.Host, o.Port, o.CertDir, o.HTTPAddr = "127.0.0.1", testutil.FreePort(t), certDir(t, env), fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	if o.Log.GetSink() == nil {
		o.Log = testr.NewWithOptions(t, testr.Options{Verbosity: 1})
	}
	ready := make(chan struct{})
	var once sync.Once
	o.Ready = func() { once.Do(func() { close(ready) }) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- webhook.Run(ctx, cfg, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the webhook did not stop within 30s")
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("webhook stopped: %v", err)
	case <-time.After(120 * time.Second):
		t.Fatal("webhook not ready within 120s")
	}
	return fmt.Sprintf("https://127.0.0.1:%d", o.Port)
}

// register points a validating (and, with mutate, a mutating) webhook
// configuration at base, scoped to namespace ns, failing open, with the
// rules the Helm chart sends (TestChartRules).
func register(t *testing.T, env *testenv.Env, ns, base string, mutate bool) {
	t.Helper()
	ctx := context.Background()
	c := env.Client().AdmissionregistrationV1()
	ignore := admissionregistrationv1.Ignore
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	url := base + webhook.ValidatePath
	vc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zerodrop-" + ns},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.zerodrop.dev",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: env.CACertPEM},
			Rules:                   webhook.ValidatingRules(),
			NamespaceSelector:       sel,
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := c.ValidatingWebhookConfigurations().Create(ctx, vc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.ValidatingWebhookConfigurations().Delete(context.Background(), vc.Name, metav1.DeleteOptions{})
	})
	if !mutate {
		return
	}
	murl := base + webhook.MutatePath
	reinvoke := admissionregistrationv1.IfNeededReinvocationPolicy
	mc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zerodrop-" + ns},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "mutate.zerodrop.dev",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &murl, CABundle: env.CACertPEM},
			Rules:                   webhook.MutatingRules(),
			NamespaceSelector:       sel,
			FailurePolicy:           &ignore,
			SideEffects:             &none,
			TimeoutSeconds:          &timeout,
			ReinvocationPolicy:      &reinvoke,
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
	if _, err := c.MutatingWebhookConfigurations().Create(ctx, mc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.MutatingWebhookConfigurations().Delete(context.Background(), mc.Name, metav1.DeleteOptions{})
	})
}

// waitLive applies the canary with a server-side dry run until the
// webhook's warning or denial comes back: the API server starts calling a
// new configuration some milliseconds after it is created.
func waitLive(t *testing.T, env *testenv.Env, ns string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, stderr, _ := kubectl(t, env, canaryYAML, "apply", "-n", ns, "--dry-run=server", "-f", "-")
		if strings.Contains(stderr, "ZD004") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook was not called within 60s; last kubectl stderr: %s", stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestKubectlApplyGetsWarnings(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	base := serve(t, env, webhook.ServerOptions{})
	register(t, env, ns, base, false)
	waitLive(t, env, ns)

	// The Deployment first, then what exposes it: the Service's admission
	// reports what it causes on the Deployment.
	_, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	if strings.Contains(stderr, "ZD003") {
		t.Errorf("ZD003 before the Deployment is exposed: %s", stderr)
	}
	_, stderr, err = kubectl(t, env, exposureYAML, "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	t.Logf("kubectl apply (Service, Ingress, PDB):\n%s", stderr)
	if !strings.Contains(stderr, "Warning: Deployment/web: ZD003 prestop: Container web has no preStop hook") {
		t.Errorf("exposing the Deployment: no warning about it:\n%s", stderr)
	}

	// Applied again, the Deployment itself warns.
	_, stderr, err = kubectl(t, env, strings.Replace(webYAML, "replicas: 3", "replicas: 2", 1), "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	t.Logf("kubectl apply (Deployment):\n%s", stderr)
	// The numbers are the timing package's; the shape is the webhook's.
	for _, want := range []string{
		`(?m)^Warning: ZD003 prestop: Container web has no preStop hook; ALB sends for [0-9–]+s after delete \(zerodrop explain ZD003\)$`,
		`(?m)^Warning: ZD004 grace-period( \(warning\))?: grace period 10s < [0-9]+s needed`,
	} {
		if !regexp.MustCompile(want).MatchString(stderr) {
			t.Errorf("kubectl stderr lacks %s:\n%s", want, stderr)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if n := len([]rune(strings.TrimPrefix(line, "Warning: "))); n > webhook.MaxWarningLength {
			t.Errorf("warning of %d characters: %s", n, line)
		}
	}

	// The ignore annotation silences what it names.
	ignored := strings.Replace(webYAML, "annotations: {}", "annotations:\n    zerodrop.dev/ignore: ZD003,ZD004\n    zerodrop.dev/ignore-reason: drains itself", 1)
	_, stderr, err = kubectl(t, env, ignored, "apply", "-n", ns, "-f", "-")
	if err != nil || strings.Contains(stderr, "ZD003") || strings.Contains(stderr, "ZD004") {
		t.Errorf("ignored: %v:\n%s", err, stderr)
	}

	// Labelled off, the namespace gets no warnings.
	if _, stderr, err := env.Kubectl("label", "namespace", ns, webhook.ModeLabel+"=off"); err != nil {
		t.Fatalf("label: %v: %s", err, stderr)
	}
	// The label reaches the webhook's cache through its watch.
	one := strings.Replace(webYAML, "replicas: 3", "replicas: 1", 1)
	err = wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, stderr, err = kubectl(t, env, one, "apply", "-n", ns, "--dry-run=server", "-f", "-")
		return err == nil && !strings.Contains(stderr, "Warning"), nil
	})
	if err != nil {
		t.Errorf("namespace labelled off still warned:\n%s", stderr)
	}
}

func TestEnforceDenies(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	base := serve(t, env, webhook.ServerOptions{Handler: webhook.Options{Enforce: true}})
	register(t, env, ns, base, false)
	waitLive(t, env, ns)
	if _, stderr, err := kubectl(t, env, exposureYAML, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	_, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "-f", "-")
	if err == nil {
		t.Fatal("kubectl apply of a Deployment with error findings succeeded under --enforce")
	}
	t.Logf("kubectl apply under --enforce:\n%s", stderr)
	for _, want := range []string{`admission webhook "validate.zerodrop.dev" denied the request`, "Deployment/web would drop requests", "ZD003 prestop", "ZD004 grace-period"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("kubectl stderr lacks %q:\n%s", want, stderr)
		}
	}
	if _, err := env.Client().AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{}); err == nil {
		t.Error("the denied Deployment exists")
	}
}

// buildZerodrop builds the command into the test's temporary directory.
func buildZerodrop(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zerodrop")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/zerodrop").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// The webhook as its own process, killed: the API server admits without it
// (failurePolicy Ignore), so a dead webhook never blocks a deploy.
func TestFailsOpenWhenKilled(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	bin := buildZerodrop(t)
	port, httpPort := testutil.FreePort(t), testutil.FreePort(t)
	var logs strings.Builder
	cmd := exec.Command(bin, "webhook", "--kubeconfig", env.Kubeconfig, "--enforce",
		"--host", "127.0.0.1", "--port", fmt.Sprint(port), "--cert-dir", certDir(t, env),
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", httpPort)
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 120*time.Second, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-exited:
			return false, fmt.Errorf("webhook exited: %v", err)
		default:
		}
		res, err := http.Get(ready)
		if err != nil {
			return false, nil
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("%v; log:\n%s", err, logs.String())
	}
	register(t, env, ns, fmt.Sprintf("https://127.0.0.1:%d", port), false)
	waitLive(t, env, ns)
	if _, stderr, err := kubectl(t, env, exposureYAML, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	if _, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "--dry-run=server", "-f", "-"); err == nil || !strings.Contains(stderr, "denied the request") {
		t.Fatalf("the live webhook did not deny: %v:\n%s", err, stderr)
	}
	if metrics := get(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", httpPort)); !strings.Contains(metrics, `zerodrop_webhook_admissions_total{kind="Deployment",result="denied",webhook="validate"}`) || !strings.Contains(metrics, "go_goroutines") || !strings.Contains(metrics, "controller_runtime_webhook_requests_total") {
		t.Errorf("/metrics has no denied admissions:\n%s", grep(metrics, "zerodrop_"))
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	exited <- nil // for the cleanup
	start := time.Now()
	_, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("with the webhook dead, kubectl apply failed: %v:\n%s", err, stderr)
	}
	t.Logf("apply with the webhook dead took %s", time.Since(start).Round(time.Millisecond))
	if strings.Contains(stderr, "ZD003") {
		t.Errorf("warnings from a dead webhook: %s", stderr)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func grep(s, fragment string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, fragment) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The mutating webhook adds preStop and grace; the Deployment controller
// then rolls pods that carry them, and a rolling update completes.
func TestMutatedDeploymentRollsOut(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	c := env.Client()
	ctx := context.Background()
	base := serve(t, env, webhook.ServerOptions{Mutate: true})
	register(t, env, ns, base, true)
	waitLive(t, env, ns)
	if _, stderr, err := kubectl(t, env, exposureYAML, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	// The exposure must be in the webhook's cache before the Deployment
	// comes: poll with dry runs until the mutation shows.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, stderr, _ := kubectl(t, env, webYAML, "apply", "-n", ns, "--dry-run=server", "-f", "-")
		return strings.Contains(stderr, "zerodrop set"), nil
	})
	if err != nil {
		t.Fatal("the mutating webhook never patched a dry run")
	}
	_, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply: %v: %s", err, stderr)
	}
	t.Logf("kubectl apply with the mutating webhook:\n%s", stderr)
	// The numbers are the timing package's: read them from the warnings,
	// then check that they were stored and rolled out.
	sleep, grace := mutatedNumbers(t, stderr)
	if strings.Contains(stderr, "ZD003 prestop") || strings.Contains(stderr, "ZD004 grace-period") {
		t.Errorf("the validating webhook still sees the mutated findings:\n%s", stderr)
	}
	d, err := c.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkTemplate(t, "stored Deployment", &d.Spec.Template.Spec, sleep, grace)

	waitRolledOut(t, env, ns, "web", 60*time.Second)
	// A rolling update, as kubectl rollout restart does it.
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":%q}}}}}`, time.Now().Format(time.RFC3339))
	if _, err := c.AppsV1().Deployments(ns).Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, env, ns, "web", 90*time.Second)

	rss, err := c.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rss.Items) < 2 {
		t.Errorf("%d ReplicaSets after a rolling update", len(rss.Items))
	}
	for i := range rss.Items {
		checkTemplate(t, "ReplicaSet "+rss.Items[i].Name, &rss.Items[i].Spec.Template.Spec, sleep, grace)
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"app": "web"}.String()})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.DeletionTimestamp != nil {
			continue
		}
		running++
		if p.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
			t.Errorf("pod %s is not of the new template", p.Name)
		}
		checkTemplate(t, "pod "+p.Name, &p.Spec, sleep, grace)
	}
	if running != 3 {
		t.Errorf("%d pods after the rollout, want 3", running)
	}
}

// mutatedNumbers reads the preStop sleep and grace period the mutating
// webhook says it set, and checks that the grace period covers the sleep.
func mutatedNumbers(t *testing.T, stderr string) (sleep, grace int64) {
	t.Helper()
	m1 := regexp.MustCompile(`zerodrop set container web: preStop sleeps (\d+)s \(ZD003\)`).FindStringSubmatch(stderr)
	m2 := regexp.MustCompile(`zerodrop set terminationGracePeriodSeconds 10 → (\d+) \(ZD004\)`).FindStringSubmatch(stderr)
	if m1 == nil || m2 == nil {
		t.Fatalf("kubectl stderr lacks the preStop and grace-period changes:\n%s", stderr)
	}
	sleep, _ = strconv.ParseInt(m1[1], 10, 64)
	grace, _ = strconv.ParseInt(m2[1], 10, 64)
	if sleep <= 0 || grace <= sleep {
		t.Errorf("preStop %ds and grace period %ds: the grace period must outlast the preStop", sleep, grace)
	}
	return sleep, grace
}

func checkTemplate(t *testing.T, what string, spec *corev1.PodSpec, sleep, grace int64) {
	t.Helper()
	if spec.TerminationGracePeriodSeconds == nil || *spec.TerminationGracePeriodSeconds != grace {
		t.Errorf("%s: terminationGracePeriodSeconds %v, want %d", what, spec.TerminationGracePeriodSeconds, grace)
	}
	c := spec.Containers[0]
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds != sleep {
		t.Errorf("%s: preStop %+v, want sleep %ds", what, c.Lifecycle, sleep)
	}
	if c.LivenessProbe != nil || c.StartupProbe != nil {
		t.Errorf("%s: probes added", what)
	}
}

// waitRolledOut waits as kubectl rollout status does.
func waitRolledOut(t *testing.T, env *testenv.Env, ns, name string, timeout time.Duration) {
	t.Helper()
	var last *appsv1.Deployment
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		d, err := env.Client().AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		last = d
		want := *d.Spec.Replicas
		s := d.Status
		return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.Replicas == want && s.AvailableReplicas == want, nil
	})
	if err != nil {
		t.Fatalf("rollout of %s: %v; status %+v", name, err, last.Status)
	}
}

// buildHelm builds Helm from the nested tools module into the test's
// temporary directory (compiled once into Go's cache; CI's chart step has
// done that already).
func buildHelm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "helm")
	if out, err := exec.Command("go", "-C", "../../tools/helm", "build", "-o", bin, "helm.sh/helm/v3/cmd/helm").CombinedOutput(); err != nil {
		t.Fatalf("go build helm: %v: %s", err, out)
	}
	return bin
}

// The chart renders objects a real API server accepts, with the defaults
// and with enforcement and mutation on. A server-side dry run: nothing is
// stored, so the webhook configurations never become active (their Service
// has no real endpoints here).
func TestHelmChartDryRun(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	helm := buildHelm(t)
	for _, set := range []string{"", "webhook.enforce=true,webhook.optIn=true,mutate.enabled=true,audit.enabled=false"} {
		args := []string{"template", "zerodrop", "../../deploy/helm/zerodrop", "--namespace", ns}
		if set != "" {
			args = append(args, "--set", set)
		}
		rendered, err := exec.Command(helm, args...).Output()
		if err != nil {
			t.Fatalf("helm %v: %v", args, err)
		}
		out, stderr, err := kubectl(t, env, string(rendered), "apply", "--dry-run=server", "-f", "-")
		if err != nil {
			t.Fatalf("--set %q: the API server refused the chart: %v\n%s%s", set, err, out, stderr)
		}
		for _, want := range []string{"deployment.apps/zerodrop", "validatingwebhookconfiguration.admissionregistration.k8s.io/zerodrop", "poddisruptionbudget.policy/zerodrop"} {
			if !strings.Contains(out, want) {
				t.Errorf("--set %q: %s not applied:\n%s", set, want, out)
			}
		}
		if strings.Contains(set, "mutate.enabled=true") && !strings.Contains(out, "mutatingwebhookconfiguration.admissionregistration.k8s.io/zerodrop") {
			t.Errorf("no mutating configuration:\n%s", out)
		}
	}
}
