package webhook_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/zerodrop/zerodrop/internal/testenv"
	"github.com/zerodrop/zerodrop/pkg/webhook"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"
)

// replica is one running webhook and a client for it.
type replica struct {
	url    string
	client *http.Client
}

func startReplica(t *testing.T, env *testenv.Env) replica {
	t.Helper()
	base := serve(t, env, webhook.ServerOptions{})
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.CACertPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return replica{url: base + webhook.ValidatePath, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// ask sends the admission of u (a create in ns) and returns its warnings,
// sorted.
func (r replica) ask(t *testing.T, ns string, u *unstructured.Unstructured) []string {
	t.Helper()
	raw, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	gvk := u.GroupVersionKind()
	body, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: "r", Namespace: ns, Name: u.GetName(), Operation: admissionv1.Create,
			Kind:   metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
			Object: rawExt(raw)},
	})
	res, err := r.client.Post(r.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Response == nil {
		t.Fatalf("no answer: %v", err)
	}
	w := append([]string(nil), out.Response.Warnings...)
	sort.Strings(w)
	return w
}

func objects(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(manifest, "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// Two replicas of the webhook against one control plane answer every part
// of a change alike, whichever of them saw the parts before: no replica
// keeps state of its own that changes an answer. Once the change is in the
// cluster, both report the findings of the finished change on any part.
func TestTwoReplicasAgree(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.Namespace(t)
	a, b := startReplica(t, env), startReplica(t, env)
	deploy := objects(t, webYAML)[0]
	parts := append([]*unstructured.Unstructured{deploy}, objects(t, exposureYAML)...) // Deployment, Service, Ingress, budget

	// Replica a reviews every part first (as if the API server had sent
	// them all there); b has seen none. Nothing is in the cluster yet.
	for _, p := range parts {
		a.ask(t, ns, p)
	}
	for _, p := range parts {
		wa, wb := a.ask(t, ns, p), b.ask(t, ns, p)
		if strings.Join(wa, "\n") != strings.Join(wb, "\n") {
			t.Errorf("%s %s before it exists: replica a says\n%s\nreplica b says\n%s", p.GetKind(), p.GetName(), strings.Join(wa, "\n"), strings.Join(wb, "\n"))
		}
	}

	// The change reaches the cluster, part by part; after each, both
	// replicas agree on every part once their watches have it.
	for i, p := range parts {
		manifest, _ := yaml.Marshal(p.Object)
		if _, stderr, err := kubectl(t, env, string(manifest), "apply", "-n", ns, "-f", "-"); err != nil {
			t.Fatalf("kubectl apply: %v: %s", err, stderr)
		}
		for _, q := range parts {
			var wa, wb []string
			err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 20*time.Second, true, func(context.Context) (bool, error) {
				wa, wb = a.ask(t, ns, q), b.ask(t, ns, q)
				return strings.Join(wa, "\n") == strings.Join(wb, "\n"), nil
			})
			if err != nil {
				t.Errorf("after %d parts, %s %s: replica a says\n%s\nreplica b says\n%s", i+1, q.GetKind(), q.GetName(), strings.Join(wa, "\n"), strings.Join(wb, "\n"))
			}
		}
	}
	// The finished change: the Deployment's findings come back on the
	// review of any part in front of it, from either replica.
	for _, r := range []replica{a, b} {
		for _, p := range parts[1:3] {
			w := strings.Join(r.ask(t, ns, p), "\n")
			if !strings.Contains(w, "Deployment/web: ZD003") {
				t.Errorf("%s: warnings lack the finished change's findings:\n%s", p.GetKind(), w)
			}
		}
	}
}
