package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// chart is what the chart renders that the tests read.
type chart struct {
	validating admissionregistrationv1.ValidatingWebhook
	mutating   *admissionregistrationv1.MutatingWebhook
	// role is the webhook's ClusterRole.
	role *rbacv1.ClusterRole
	// docs are the rendered objects (JSON) by "Kind/name".
	docs map[string][]byte
}

// renderChart renders the chart with its defaults and set (helm's --set,
// may be empty) and returns its webhooks, as the API server would get
// them, and the webhook's ClusterRole.
func renderChart(t *testing.T, helm, namespace, set string) chart {
	t.Helper()
	args := []string{"template", "zerodrop", "../../deploy/helm/zerodrop", "--namespace", namespace}
	if set != "" {
		args = append(args, "--set", set)
	}
	rendered, err := exec.Command(helm, args...).Output()
	if err != nil {
		t.Fatalf("helm %v: %v", args, err)
	}
	c := chart{docs: map[string][]byte{}}
	var validating int
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	for {
		var raw json.RawMessage
		if err := d.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("the rendered chart: %v", err)
		}
		var meta metav1.PartialObjectMetadata
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Fatalf("the rendered chart: %v", err)
		}
		c.docs[meta.Kind+"/"+meta.Name] = raw
		switch meta.Kind {
		case "ValidatingWebhookConfiguration":
			var vc admissionregistrationv1.ValidatingWebhookConfiguration
			decodeInto(t, raw, &vc)
			if len(vc.Webhooks) != 1 {
				t.Fatalf("the chart's validating configuration has %d webhooks", len(vc.Webhooks))
			}
			c.validating = vc.Webhooks[0]
			validating++
		case "MutatingWebhookConfiguration":
			var mc admissionregistrationv1.MutatingWebhookConfiguration
			decodeInto(t, raw, &mc)
			if len(mc.Webhooks) != 1 {
				t.Fatalf("the chart's mutating configuration has %d webhooks", len(mc.Webhooks))
			}
			c.mutating = &mc.Webhooks[0]
		case "ClusterRole":
			if strings.HasSuffix(meta.Name, "-webhook") {
				c.role = &rbacv1.ClusterRole{}
				decodeInto(t, raw, c.role)
			}
		}
	}
	if validating != 1 {
		t.Fatalf("the chart renders %d ValidatingWebhookConfigurations, want 1", validating)
	}
	return c
}

func decodeInto(t *testing.T, raw []byte, into any) {
	t.Helper()
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatalf("the rendered chart: %v", err)
	}
}

// ruleSet spells out rules one resource at a time, for comparing.
func ruleSet(rules []admissionregistrationv1.RuleWithOperations) map[string]bool {
	set := map[string]bool{}
	for _, r := range rules {
		scope := "*"
		if r.Scope != nil {
			scope = string(*r.Scope)
		}
		ops := fmt.Sprint(r.Operations)
		for _, g := range r.APIGroups {
			for _, v := range r.APIVersions {
				for _, res := range r.Resources {
					set[fmt.Sprintf("%s/%s %s (%s) %s", g, v, res, scope, ops)] = true
				}
			}
		}
	}
	return set
}

// diffSets reports what one set has and the other lacks.
func diffSets(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	for k := range want {
		if !got[k] {
			t.Errorf("%s lacks %s", what, k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s has %s, which the webhook does not ask for", what, k)
		}
	}
}

// The chart sends the webhook every admission it judges and nothing else
// (webhook.ValidatingRules, which the live tests register too), the
// mutating webhook the kinds it patches, and lets the webhook read (get,
// list, watch) every kind of its model and nothing more.
func TestChartRules(t *testing.T) {
	c := renderChart(t, buildHelm(t), "zerodrop", "mutate.enabled=true")
	diffSets(t, "the chart's validating rules", ruleSet(c.validating.Rules), ruleSet(webhook.ValidatingRules()))
	if c.mutating == nil {
		t.Fatal("mutate.enabled=true renders no MutatingWebhookConfiguration")
	}
	diffSets(t, "the chart's mutating rules", ruleSet(c.mutating.Rules), ruleSet(webhook.MutatingRules()))

	// The API server authorizes the whole list, then the watch.
	if c.role == nil {
		t.Fatal("the chart renders no ClusterRole for the webhook")
	}
	got, want := map[string]bool{}, map[string]bool{}
	for _, r := range c.role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					got[fmt.Sprintf("%s %s/%s", v, g, res)] = true
				}
			}
		}
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("the webhook's ClusterRole has a rule by name or URL: %+v", r)
		}
	}
	for _, k := range webhook.Kinds {
		for _, v := range []string{"get", "list", "watch"} {
			want[fmt.Sprintf("%s %s/%s", v, k.Group, k.Resource)] = true
		}
	}
	diffSets(t, "the webhook's ClusterRole", got, want)
}

// registerChart registers the chart's validating webhook as rendered
// (rules, failure policy, timeout, match policy), pointed at base and
// scoped to namespace ns, and returns it as the API server stored it.
func registerChart(t *testing.T, env *testenv.Env, ns, base string, wh admissionregistrationv1.ValidatingWebhook) *admissionregistrationv1.ValidatingWebhookConfiguration {
	t.Helper()
	url := base + webhook.ValidatePath
	wh.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: env.CACertPEM}
	wh.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	vc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zerodrop-chart-" + ns},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{wh},
	}
	c := env.Client().AdmissionregistrationV1().ValidatingWebhookConfigurations()
	stored, err := c.Create(context.Background(), vc, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("the API server refused the chart's validating webhook: %v", err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), vc.Name, metav1.DeleteOptions{}) })
	return stored
}

// A workload behind an ALB, ready for rollouts, with a budget that keeps
// two pods: fine at three replicas, blocking every eviction at two.
const autoscaledAppYAML = frontYAML + `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web-keep-two
spec:
  minAvailable: 2
  selector:
    matchLabels:
      app: web
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  minReadySeconds: 10
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      terminationGracePeriodSeconds: 70
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
        lifecycle:
          preStop:
            sleep:
              seconds: 40
`

const autoscalerYAML = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: web
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  minReplicas: MIN
  maxReplicas: 10
`

// The chart sends HorizontalPodAutoscalers to the webhook, and the webhook
// judges them: the API server, configured with the chart's own rules,
// calls it when an autoscaler is created or changed, and an autoscaler
// whose minReplicas leaves a budget blocking every eviction gets the
// budget's warning. Its replica range also reaches the reviews of the
// workload (the model reads autoscalers).
func TestChartSendsAutoscalers(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	wh := renderChart(t, buildHelm(t), ns, "").validating
	base := serve(t, env, webhook.ServerOptions{})
	registerChart(t, env, ns, base, wh)
	waitLive(t, env, ns)

	apply := func(what, manifest string) string {
		t.Helper()
		_, stderr, err := kubectl(t, env, manifest, "apply", "-n", ns, "-f", "-")
		if err != nil {
			t.Fatalf("kubectl apply (%s): %v: %s", what, err, stderr)
		}
		t.Logf("kubectl apply (%s):\n%s", what, stderr)
		return stderr
	}
	const blocked = "PodDisruptionBudget/web-keep-two: ZD006"
	if stderr := apply("the application", autoscaledAppYAML); strings.Contains(stderr, "ZD006") {
		t.Errorf("at three replicas, a budget keeping two is judged blocking:\n%s", stderr)
	}
	// Created: down to two replicas, the budget allows no eviction.
	if stderr := apply("an autoscaler from 2", strings.Replace(autoscalerYAML, "MIN", "2", 1)); !strings.Contains(stderr, blocked) {
		t.Errorf("an autoscaler down to two replicas under a budget keeping two: no %s warning:\n%s", blocked, stderr)
	}
	// A new version of the workload is reviewed with the autoscaler the
	// model read, once its watch has delivered it. (kubectl sends nothing
	// for an object that did not change.)
	var stderr string
	next := strings.Replace(deploymentOf(autoscaledAppYAML), "example/web:1", "example/web:2", 1)
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		_, stderr, _ = kubectl(t, env, next, "apply", "-n", ns, "--dry-run=server", "-f", "-")
		return strings.Contains(stderr, blocked), nil
	})
	if err != nil {
		t.Errorf("the Deployment reviewed with its autoscaler in the cluster: no %s warning:\n%s", blocked, stderr)
	}
	// Changed: from three replicas up, the budget allows one eviction.
	if stderr := apply("the autoscaler from 3", strings.Replace(autoscalerYAML, "MIN", "3", 1)); strings.Contains(stderr, "ZD006") {
		t.Errorf("an autoscaler from three replicas: warnings\n%s", stderr)
	}
}

// deploymentOf returns the Deployment of a manifest of several documents.
func deploymentOf(manifest string) string {
	for _, doc := range strings.Split(manifest, "---\n") {
		if strings.Contains(doc, "\nkind: Deployment\n") {
			return doc
		}
	}
	return ""
}

// serviceOf returns the Service of a manifest of several documents.
func serviceOf(manifest string) string {
	for _, doc := range strings.Split(manifest, "---\n") {
		if strings.Contains(doc, "\nkind: Service\n") {
			return doc
		}
	}
	return ""
}

// A TargetGroupBinding puts Service web's pods in a target group by IP.
const bindingYAML = `apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata:
  name: web
spec:
  serviceRef:
    name: web
    port: 80
  targetGroupARN: arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef
  targetType: ip
`

// rolloutYAML is webYAML's Deployment as an Argo Rollout (the same pod
// template and selector; a Rollout without a strategy rolls like a
// Deployment).
var rolloutYAML = strings.Replace(webYAML, "apiVersion: apps/v1\nkind: Deployment\n", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n", 1)

// customResources are the CRDs of testdata/crds.yaml, by group and version.
var customResources = []string{"elbv2.k8s.aws/v1beta1", "argoproj.io/v1alpha1"}

// served reports whether the API server serves a group and version.
func served(t *testing.T, env *testenv.Env, groupVersion string) bool {
	t.Helper()
	_, err := env.Client().Discovery().ServerResourcesForGroupVersion(groupVersion)
	if apierrors.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("discovery of %s: %v", groupVersion, err)
	}
	return true
}

// installCRDs installs testdata/crds.yaml until the test ends, and waits
// for the API server to serve them.
func installCRDs(t *testing.T, env *testenv.Env) {
	t.Helper()
	crds, err := os.ReadFile("testdata/crds.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := kubectl(t, env, string(crds), "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply testdata/crds.yaml: %v: %s", err, stderr)
	}
	t.Cleanup(func() {
		// Deleted and waited for: the other tests share the control plane,
		// and a later webhook would watch what this test installed.
		if _, stderr, err := kubectl(t, env, string(crds), "delete", "--wait", "--timeout=60s", "-f", "-"); err != nil {
			t.Errorf("kubectl delete testdata/crds.yaml: %v: %s", err, stderr)
		}
	})
	if _, stderr, err := kubectl(t, env, string(crds), "wait", "--for=condition=Established", "--timeout=60s", "-f", "-"); err != nil {
		t.Fatalf("the CRDs were not established: %v: %s", err, stderr)
	}
	for _, gv := range customResources {
		err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			return served(t, env, gv), nil
		})
		if err != nil {
			t.Fatalf("%s not served 30s after its CRD was established", gv)
		}
	}
}

// The chart sends the custom resources the webhook judges, and a cluster
// without their CRDs takes the chart as it is. Its validating webhook is
// registered before the CRDs exist: the API server stores the rules for
// resources it does not serve, and calls the webhook for the kinds it
// does. Once the CRDs are installed, with the same configuration and the
// same webhook (started before them, so its model holds neither kind), a
// TargetGroupBinding that puts a Deployment without a preStop behind a
// target group of IPs is reviewed and warned about the Deployment, and an
// Argo Rollout behind an ALB is reviewed and warned about itself.
func TestChartSendsCustomResources(t *testing.T) {
	if !strings.Contains(rolloutYAML, "kind: Rollout") {
		t.Fatal("webYAML no longer starts as rolloutYAML expects")
	}
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	wh := renderChart(t, buildHelm(t), ns, "").validating
	for _, gv := range customResources {
		// A test before this one may have just deleted its CRDs.
		err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			return !served(t, env, gv), nil
		})
		if err != nil {
			t.Fatalf("%s is served before the test installs it", gv)
		}
	}
	base := serve(t, env, webhook.ServerOptions{})
	stored := registerChart(t, env, ns, base, wh)
	diffSets(t, "the stored configuration's rules", ruleSet(stored.Webhooks[0].Rules), ruleSet(wh.Rules))
	waitLive(t, env, ns)

	installCRDs(t, env)
	for what, manifest := range map[string]string{"the Service": serviceOf(frontYAML), "the Deployment": webYAML} {
		if _, stderr, err := kubectl(t, env, manifest, "apply", "-n", ns, "-f", "-"); err != nil {
			t.Fatalf("kubectl apply (%s): %v: %s", what, err, stderr)
		} else if strings.Contains(stderr, "ZD003") {
			t.Errorf("%s, behind no load balancer, is warned about ZD003:\n%s", what, stderr)
		}
	}
	// Each admission is tried with server-side dry runs until the
	// webhook's model holds what it relates to (its watches deliver in
	// milliseconds), then applied.
	applyWarned := func(what, manifest string, want *regexp.Regexp) {
		t.Helper()
		var stderr string
		err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			_, stderr, _ = kubectl(t, env, manifest, "apply", "-n", ns, "--dry-run=server", "-f", "-")
			return want.MatchString(stderr), nil
		})
		if err != nil {
			t.Fatalf("%s: not reviewed by the chart's webhook within 30s (no %s):\n%s", what, want, stderr)
		}
		_, stderr, err = kubectl(t, env, manifest, "apply", "-n", ns, "-f", "-")
		if err != nil {
			t.Fatalf("kubectl apply (%s): %v: %s", what, err, stderr)
		}
		t.Logf("kubectl apply (%s):\n%s", what, stderr)
		if !want.MatchString(stderr) {
			t.Errorf("%s created: no %s:\n%s", what, want, stderr)
		}
	}
	applyWarned("a TargetGroupBinding", bindingYAML, regexp.MustCompile(`(?m)^Warning: Deployment/web: ZD003 `))
	if _, stderr, err := kubectl(t, env, frontYAML, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply (the Ingress): %v: %s", err, stderr)
	}
	applyWarned("an Argo Rollout", rolloutYAML, regexp.MustCompile(`(?m)^Warning: ZD003 prestop: Container web has no preStop hook`))
}

// The webhook runs with the rights the chart gives it and no more: with
// the CRDs installed, a webhook that talks to the API server as the
// chart's ServiceAccount (impersonated; RBAC applied for real) fills its
// model of every kind, reads a Service that its model does not hold yet,
// and answers; the same account may not write.
func TestChartRBACRunsTheWebhook(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	installCRDs(t, env)
	c := renderChart(t, buildHelm(t), ns, "")
	var rbac []string
	for _, key := range []string{"ServiceAccount/zerodrop", "ClusterRole/zerodrop-webhook", "ClusterRoleBinding/zerodrop-webhook"} {
		doc, ok := c.docs[key]
		if !ok {
			t.Fatalf("the chart renders no %s", key)
		}
		rbac = append(rbac, string(doc))
	}
	manifest := strings.Join(rbac, "\n---\n")
	if _, stderr, err := kubectl(t, env, manifest, "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply (the chart's RBAC): %v: %s", err, stderr)
	}
	t.Cleanup(func() { _, _, _ = kubectl(t, env, manifest, "delete", "--ignore-not-found", "-f", "-") })

	cfg := env.RESTConfig()
	cfg.Impersonate = rest.ImpersonationConfig{
		UserName: "system:serviceaccount:" + ns + ":zerodrop",
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
	}
	// Its model fills only if every list and watch is allowed: serveAs
	// fails otherwise.
	var mu sync.Mutex
	var logs strings.Builder
	base := serveAs(t, env, cfg, webhook.ServerOptions{Log: funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logs.WriteString(args + "\n")
	}, funcr.Options{})})
	// Every kind was served, so none was left out of the model.
	mu.Lock()
	if strings.Contains(logs.String(), "not served") {
		t.Errorf("the webhook left kinds out of its model:\n%s", logs.String())
	}
	mu.Unlock()
	registerChart(t, env, ns, base, c.validating)
	waitLive(t, env, ns)

	// The Ingress's review reads its Service from the model, or from the
	// API server when the watch has not delivered it yet: either way as
	// the account, and a refusal would allow it unchecked, without the
	// warning.
	if _, stderr, err := kubectl(t, env, webYAML, "apply", "-n", ns, "-f", "-"); err != nil {
		t.Fatalf("kubectl apply (the Deployment): %v: %s", err, stderr)
	}
	_, stderr, err := kubectl(t, env, frontYAML, "apply", "-n", ns, "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply (the Service and Ingress): %v: %s", err, stderr)
	}
	if !strings.Contains(stderr, "Deployment/web: ZD003") {
		t.Errorf("exposing the Deployment: no warning about it:\n%s", stderr)
	}

	as, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = as.CoreV1().ConfigMaps(ns).Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "written"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) {
		t.Errorf("the webhook's account creating a ConfigMap: %v, want forbidden", err)
	}
}
