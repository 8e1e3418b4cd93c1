package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// chartValidatingWebhook renders the chart with its defaults and returns
// its validating webhook, as the API server would get it.
func chartValidatingWebhook(t *testing.T, helm, namespace string) admissionregistrationv1.ValidatingWebhook {
	t.Helper()
	rendered, err := exec.Command(helm, "template", "zerodrop", "../../deploy/helm/zerodrop", "--namespace", namespace).Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(rendered), 4096)
	for {
		var vc admissionregistrationv1.ValidatingWebhookConfiguration
		if err := d.Decode(&vc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("the rendered chart: %v", err)
		}
		if vc.Kind == "ValidatingWebhookConfiguration" {
			if len(vc.Webhooks) != 1 {
				t.Fatalf("the chart's validating configuration has %d webhooks", len(vc.Webhooks))
			}
			return vc.Webhooks[0]
		}
	}
	t.Fatal("the chart renders no ValidatingWebhookConfiguration")
	return admissionregistrationv1.ValidatingWebhook{}
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
	chart := chartValidatingWebhook(t, buildHelm(t), ns)
	base := serve(t, env, webhook.ServerOptions{})

	// The chart's webhook as rendered (rules, failure policy, timeout,
	// match policy), pointed at this process and scoped to the test's
	// namespace.
	url := base + webhook.ValidatePath
	chart.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: env.CACertPEM}
	chart.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	vc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "zerodrop-chart-" + ns},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{chart},
	}
	c := env.Client().AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := c.Create(context.Background(), vc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), vc.Name, metav1.DeleteOptions{}) })
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
