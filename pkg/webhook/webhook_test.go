package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/rules"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"
)

const namespaceYAML = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    kubernetes.io/metadata.name: shop
    elbv2.k8s.aws/pod-readiness-gate-inject: enabled
`

const serviceYAML = `
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: http
`

const ingressYAML = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
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

// deploymentYAML has no preStop and the default grace period; everything
// else is right.
const deploymentYAML = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
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
      terminationGracePeriodSeconds: 20
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector:
          matchLabels:
            app: web
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

const pdbYAML = `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
  namespace: shop
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app: web
`

func obj(t testing.TB, src string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(src), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// edit returns a copy of u changed by fn.
func edit(u *unstructured.Unstructured, fn func(*unstructured.Unstructured)) *unstructured.Unstructured {
	c := u.DeepCopy()
	fn(c)
	return c
}

func cluster(t testing.TB, objs ...*unstructured.Unstructured) *StaticSource {
	t.Helper()
	return NewStaticSource(objs...)
}

func request(t testing.TB, op admissionv1.Operation, u, old *unstructured.Unstructured) admission.Request {
	t.Helper()
	gvk := u.GroupVersionKind()
	raw, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       types.UID("uid-1"),
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Namespace: u.GetNamespace(), Name: u.GetName(), Operation: op,
		Object: runtimeRaw(raw),
	}}
	if old != nil {
		b, _ := json.Marshal(old.Object)
		req.OldObject = runtimeRaw(b)
	}
	return req
}

func testOptions() Options {
	return Options{Check: check.Options{KubeVersion: rules.KubeVersion{Major: 1, Minor: 33}}}
}

func hasWarning(ws []string, fragment string) bool {
	for _, w := range ws {
		if strings.Contains(w, fragment) {
			return true
		}
	}
	return false
}

func TestDeploymentWithoutPreStopWarns(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	v := NewValidator(src, testOptions())
	resp := v.Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if !resp.Allowed {
		t.Fatalf("denied without --enforce: %+v", resp.Result)
	}
	if resp.UID != "uid-1" {
		t.Errorf("UID %q", resp.UID)
	}
	if !hasWarning(resp.Warnings, "ZD003 prestop: Container web has no preStop hook; ALB sends for 5–20s after delete (zerodrop explain ZD003)") {
		t.Errorf("no ZD003 warning: %q", resp.Warnings)
	}
	if !hasWarning(resp.Warnings, "ZD004 grace-period (warning): grace period 20s < 55s needed (preStop 25s + shutdown 30s) (zerodrop explain ZD004)") {
		t.Errorf("no ZD004 warning: %q", resp.Warnings)
	}
	for _, w := range resp.Warnings {
		if n := len([]rune(w)); n > MaxWarningLength {
			t.Errorf("warning of %d characters: %q", n, w)
		}
	}
}

func TestCleanDeploymentHasNoWarnings(t *testing.T) {
	// The Ingress in front sets its deregistration delay: the Deployment's
	// review reports findings on the objects exposing it too.
	ing := edit(obj(t, ingressYAML), func(u *unstructured.Unstructured) {
		a := u.GetAnnotations()
		a["alb.ingress.kubernetes.io/target-group-attributes"] = "deregistration_delay.timeout_seconds=40"
		u.SetAnnotations(a)
	})
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), ing, obj(t, pdbYAML))
	d := edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, int64(55), "spec", "template", "spec", "terminationGracePeriodSeconds")
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		cs[0].(map[string]any)["lifecycle"] = map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int64(25)}}}
		_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
	})
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, d, nil))
	if !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
}

func TestEnforceDeniesErrors(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	opts := testOptions()
	opts.Enforce = true
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if resp.Allowed {
		t.Fatal("allowed with --enforce")
	}
	msg := resp.Result.Message
	// Only ZD003 is an error here: the 20 s grace period covers the ALB's
	// stop-sending time, so ZD004 is a warning and does not deny.
	for _, want := range []string{"Deployment/web would drop requests (1 error)", "ZD003 prestop: Container web has no preStop hook", "zerodrop.dev/ignore"} {
		if !strings.Contains(msg, want) {
			t.Errorf("deny message lacks %q: %s", want, msg)
		}
	}
	if resp.Result.Code != http.StatusForbidden {
		t.Errorf("code %d", resp.Result.Code)
	}
}

func TestNamespaceLabelEnforces(t *testing.T) {
	ns := edit(obj(t, namespaceYAML), func(u *unstructured.Unstructured) {
		l := u.GetLabels()
		l[ModeLabel] = ModeEnforce
		u.SetLabels(l)
	})
	src := cluster(t, ns, obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if resp.Allowed {
		t.Error("allowed in a namespace labelled enforce")
	}
}

func TestIgnoreAnnotationSilences(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	d := edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
		u.SetAnnotations(map[string]string{check.IgnoreAnnotation: "ZD003,ZD004", check.IgnoreReasonAnnotation: "the app drains itself"})
	})
	opts := testOptions()
	opts.Enforce = true
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, d, nil))
	if !resp.Allowed {
		t.Fatalf("denied although ignored: %s", resp.Result.Message)
	}
	if hasWarning(resp.Warnings, "ZD003") || hasWarning(resp.Warnings, "ZD004") {
		t.Errorf("ignored rules warned: %q", resp.Warnings)
	}
}

func TestNamespaceOptOut(t *testing.T) {
	ns := edit(obj(t, namespaceYAML), func(u *unstructured.Unstructured) {
		l := u.GetLabels()
		l[ModeLabel] = ModeOff
		u.SetLabels(l)
	})
	src := cluster(t, ns, obj(t, serviceYAML), obj(t, ingressYAML))
	opts := testOptions()
	opts.Enforce = true
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("opted-out namespace: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
}

func TestOptInMode(t *testing.T) {
	opts := testOptions()
	opts.OptIn = true
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML))
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if !resp.Allowed || len(resp.Warnings) != 0 {
		t.Errorf("unlabelled namespace in opt-in mode: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
	ns := edit(obj(t, namespaceYAML), func(u *unstructured.Unstructured) {
		l := u.GetLabels()
		l[ModeLabel] = ModeWarn
		u.SetLabels(l)
	})
	src = cluster(t, ns, obj(t, serviceYAML), obj(t, ingressYAML))
	resp = NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if !hasWarning(resp.Warnings, "ZD003") {
		t.Errorf("opted-in namespace: warnings %q", resp.Warnings)
	}
}

// A Service admitted in front of an existing Deployment reports the
// findings on that Deployment, naming it.
func TestServiceReportsFindingsOnWorkloads(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, deploymentYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, obj(t, serviceYAML), nil))
	if !hasWarning(resp.Warnings, "Deployment/web: ZD003 prestop: Container web has no preStop hook") {
		t.Errorf("warnings %q", resp.Warnings)
	}
	// Updating the Service without a change says the same: the answer
	// depends on the cluster, not on what was answered before.
	src.Add(obj(t, serviceYAML))
	again := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Update, obj(t, serviceYAML), obj(t, serviceYAML)))
	if strings.Join(again.Warnings, "\n") != strings.Join(resp.Warnings, "\n") {
		t.Errorf("unchanged Service update:\n%q\nfirst admission:\n%q", again.Warnings, resp.Warnings)
	}
}

// Removing the readiness-gate label from a Namespace exposes its workloads
// to ZD002; the review reports the findings on the workloads too.
func TestNamespaceUpdate(t *testing.T) {
	ns := obj(t, namespaceYAML)
	src := cluster(t, ns, obj(t, deploymentYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	unlabelled := edit(ns, func(u *unstructured.Unstructured) {
		u.SetLabels(map[string]string{"kubernetes.io/metadata.name": "shop"})
	})
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Update, unlabelled, ns))
	if !hasWarning(resp.Warnings, "ZD002 readiness-gate: Pods of Deployment/web") {
		t.Errorf("warnings %q", resp.Warnings)
	}
}

func TestWarningsAreCapped(t *testing.T) {
	d := obj(t, deploymentYAML)
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	var many []any
	for i := 0; i < 15; i++ {
		c := runtime.DeepCopyJSONValue(cs[0]).(map[string]any)
		c["name"] = "c" + string(rune('a'+i))
		c["ports"] = []any{map[string]any{"name": "http", "containerPort": int64(8080 + i)}}
		delete(c, "readinessProbe")
		many = append(many, c)
	}
	_ = unstructured.SetNestedSlice(d.Object, many, "spec", "template", "spec", "containers")
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	resp := NewValidator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, d, nil))
	if len(resp.Warnings) != DefaultMaxWarnings+1 || !strings.HasPrefix(resp.Warnings[DefaultMaxWarnings], "zerodrop: +") {
		t.Errorf("%d warnings: %q", len(resp.Warnings), resp.Warnings)
	}
}

func TestSkips(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML))
	v := NewValidator(src, testOptions())
	cm := obj(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n")
	for name, req := range map[string]admission.Request{
		"other kind": request(t, admissionv1.Create, cm, nil),
		"delete":     request(t, admissionv1.Delete, obj(t, deploymentYAML), nil),
		"subresource": func() admission.Request {
			r := request(t, admissionv1.Update, obj(t, deploymentYAML), nil)
			r.SubResource = "scale"
			return r
		}(),
	} {
		resp := v.Handle(context.Background(), req)
		if !resp.Allowed || len(resp.Warnings) != 0 {
			t.Errorf("%s: allowed %v, warnings %q", name, resp.Allowed, resp.Warnings)
		}
	}
	// Context kinds are read, never judged: no rule reports on them.
	class := obj(t, "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: alb}\nspec: {controller: ingress.k8s.aws/alb}\n")
	if resp := v.Handle(context.Background(), request(t, admissionv1.Create, class, nil)); !resp.Allowed || resp.Result == nil || resp.Result.Message != "kind not checked" {
		t.Errorf("an IngressClass: allowed %v, result %+v; want skipped as a kind not checked", resp.Allowed, resp.Result)
	}
	bad := request(t, admissionv1.Create, obj(t, deploymentYAML), nil)
	bad.Object = runtimeRaw([]byte("{not json"))
	if resp := v.Handle(context.Background(), bad); !resp.Allowed || !hasWarning(resp.Warnings, "not readable") {
		t.Errorf("unreadable object: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
}

// panicSource panics on Lookup; slowSource blocks until the context ends.
type panicSource struct{ *StaticSource }

func (panicSource) Lookup(context.Context, Kind, string, string, string) ([]*Object, error) {
	panic("boom")
}

type slowSource struct{ *StaticSource }

func (slowSource) Lookup(ctx context.Context, _ Kind, _, _, _ string) ([]*Object, error) {
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond)
	return nil, ctx.Err()
}

func TestPanicAllows(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Enforce, opts.Metrics = true, m
	src := &panicSource{NewStaticSource(obj(t, namespaceYAML))}
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if !resp.Allowed || !hasWarning(resp.Warnings, "internal error") {
		t.Errorf("after a panic: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
	if got := counter(t, reg, "zerodrop_webhook_admissions_total", "result", ResultPanic); got != 1 {
		t.Errorf("panic admissions counted %v", got)
	}
}

func TestDeadlineAllows(t *testing.T) {
	opts := testOptions()
	opts.Enforce, opts.Timeout = true, 50*time.Millisecond
	src := &slowSource{NewStaticSource(obj(t, namespaceYAML))}
	start := time.Now()
	resp := NewValidator(src, opts).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	if took := time.Since(start); took > time.Second {
		t.Errorf("answered after %s", took)
	}
	if !resp.Allowed || !hasWarning(resp.Warnings, "no answer within 50ms") {
		t.Errorf("after the deadline: allowed %v, warnings %q", resp.Allowed, resp.Warnings)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Metrics = m
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	v := NewValidator(src, opts)
	for i := 0; i < 3; i++ {
		v.Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil))
	}
	if got := counter(t, reg, "zerodrop_webhook_admissions_total", "result", ResultWarned); got != 3 {
		t.Errorf("warned admissions %v", got)
	}
	if got := counter(t, reg, "zerodrop_webhook_findings_total", "rule", "ZD003"); got != 3 {
		t.Errorf("ZD003 findings %v", got)
	}
	if got := counter(t, reg, "zerodrop_webhook_handler_duration_seconds", "webhook", "validate"); got != 3 {
		t.Errorf("latency samples %v", got)
	}
}

// counter sums the samples of a metric whose label has the value (a
// histogram's sample count).
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
	}
	return sum
}

// Over HTTP, as the API server calls it: an AdmissionReview in, one out.
func TestAdmissionReviewOverHTTP(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	srv := httptest.NewServer(&admission.Webhook{Handler: NewValidator(src, testOptions())})
	defer srv.Close()
	req := request(t, admissionv1.Create, obj(t, deploymentYAML), nil)
	body, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request:  &req.AdmissionRequest,
	})
	res, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Response == nil || out.Response.UID != "uid-1" || !out.Response.Allowed || !hasWarning(out.Response.Warnings, "ZD003") {
		t.Errorf("response %+v", out.Response)
	}
}

func TestMutatorAddsPreStopAndGraceOnly(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	d := edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
		// No readiness probe either: the mutator must not add one.
		cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		delete(cs[0].(map[string]any), "readinessProbe")
		_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
	})
	req := request(t, admissionv1.Create, d, nil)
	resp := NewMutator(src, testOptions()).Handle(context.Background(), req)
	if !resp.Allowed || len(resp.Patches) == 0 {
		t.Fatalf("allowed %v, patches %v, result %+v", resp.Allowed, resp.Patches, resp.Result)
	}
	for _, op := range resp.Patches {
		if !strings.Contains(op.Path, "lifecycle") && !strings.HasSuffix(op.Path, "terminationGracePeriodSeconds") {
			t.Errorf("patch touches %s", op.Path)
		}
	}
	if !hasWarning(resp.Warnings, "preStop sleeps 25s (ZD003)") || !hasWarning(resp.Warnings, "terminationGracePeriodSeconds 20 → 55 (ZD004)") {
		t.Errorf("warnings %q", resp.Warnings)
	}
	// The patched object checks clean for ZD003 and ZD004 and still lacks
	// a probe.
	ops, _ := json.Marshal(resp.Patches)
	p, err := jsonpatch.DecodePatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	patched, err := p.Apply(req.Object.Raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeObject(patched)
	if err != nil {
		t.Fatal(err)
	}
	after := unstructured.Unstructured{Object: m}
	grace, _, _ := unstructured.NestedInt64(after.Object, "spec", "template", "spec", "terminationGracePeriodSeconds")
	cs, _, _ := unstructured.NestedSlice(after.Object, "spec", "template", "spec", "containers")
	c := cs[0].(map[string]any)
	secs, _, _ := unstructured.NestedInt64(c, "lifecycle", "preStop", "sleep", "seconds")
	if secs != 25 || grace != 55 || c["readinessProbe"] != nil {
		t.Errorf("after the patch: preStop %ds, grace %ds, probe %v", secs, grace, c["readinessProbe"])
	}
	v := NewValidator(src, testOptions())
	vr := v.Handle(context.Background(), request(t, admissionv1.Create, &after, nil))
	if hasWarning(vr.Warnings, "ZD003") || hasWarning(vr.Warnings, "ZD004") || !hasWarning(vr.Warnings, "ZD005") {
		t.Errorf("patched object warnings: %q", vr.Warnings)
	}

	// Applied again, nothing more to do.
	again := NewMutator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, &after, nil))
	if len(again.Patches) != 0 {
		t.Errorf("second mutation patched %v", again.Patches)
	}
}

func TestMutatorRespectsIgnoreAndLabels(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	d := edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
		u.SetAnnotations(map[string]string{check.IgnoreAnnotation: "ZD003,ZD004"})
	})
	if resp := NewMutator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, d, nil)); len(resp.Patches) != 0 {
		t.Errorf("ignored rules patched: %v", resp.Patches)
	}
	ns := edit(obj(t, namespaceYAML), func(u *unstructured.Unstructured) {
		l := u.GetLabels()
		l[MutateLabel] = "off"
		u.SetLabels(l)
	})
	src = cluster(t, ns, obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML))
	if resp := NewMutator(src, testOptions()).Handle(context.Background(), request(t, admissionv1.Create, obj(t, deploymentYAML), nil)); len(resp.Patches) != 0 {
		t.Errorf("namespace with %s=off patched: %v", MutateLabel, resp.Patches)
	}
	svc := request(t, admissionv1.Create, obj(t, serviceYAML), nil)
	if resp := NewMutator(src, testOptions()).Handle(context.Background(), svc); !resp.Allowed || len(resp.Patches) != 0 {
		t.Errorf("Service mutated: %+v", resp)
	}
}

func TestWarningLine(t *testing.T) {
	long := strings.Repeat("word ", 60)
	if got := clip(long, 50); len([]rune(got)) > 50 || !strings.HasSuffix(got, "…") {
		t.Errorf("clip: %q", got)
	}
	if got := firstClause("Container web has no preStop hook: on deletion it gets SIGTERM"); got != "Container web has no preStop hook" {
		t.Errorf("firstClause: %q", got)
	}
}

func runtimeRaw(b []byte) runtime.RawExtension { return runtime.RawExtension{Raw: b} }

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	if a.admissions != b.admissions {
		t.Error("a second registration made new counters")
	}
}

func TestShortText(t *testing.T) {
	ing := inventory.Ref{Kind: "Ingress", Namespace: "shop", Name: "web"}
	for _, c := range []struct {
		f    finding.Finding
		self inventory.Ref
		want string
	}{
		{finding.Finding{Rule: "ZD008", Name: "deregistration-delay", Severity: finding.Warning, Object: ing,
			Message: "ALB (ip targets) via Ingress/web in shop keeps the AWS default deregistration delay of 300s, while its pods are gone 35s after deletion: dead targets sit in draining"},
			ing, "ZD008 deregistration-delay (warning): keeps the AWS default deregistration delay of 300s… (zerodrop explain ZD008)"},
		{finding.Finding{Rule: "ZD002", Name: "readiness-gate", Severity: finding.Error, Object: inventory.Ref{Kind: "Namespace", Name: "shop"},
			Message: "Pods of Deployment/web in shop count as available 10s after they are Ready"},
			ing, "namespace: ZD002 readiness-gate: Pods of Deployment/web count as available 10s after they are… (zerodrop explain ZD002)"},
	} {
		if got := warningLine(c.f, c.self); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if n := len([]rune(warningLine(c.f, c.self))); n > MaxWarningLength {
			t.Errorf("%d characters", n)
		}
	}
}

// Admissions run concurrently over shared, already typed cluster objects;
// under -race this finds any write to them.
func TestConcurrentAdmissions(t *testing.T) {
	src := cluster(t, obj(t, namespaceYAML), obj(t, serviceYAML), obj(t, ingressYAML), obj(t, pdbYAML), obj(t, deploymentYAML))
	v := NewValidator(src, testOptions())
	m := NewMutator(src, testOptions())
	reqs := []admission.Request{
		request(t, admissionv1.Create, obj(t, deploymentYAML), nil),
		request(t, admissionv1.Update, obj(t, serviceYAML), obj(t, serviceYAML)),
		request(t, admissionv1.Create, obj(t, ingressYAML), nil),
		request(t, admissionv1.Update, obj(t, namespaceYAML), obj(t, namespaceYAML)),
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				req := reqs[(g+i)%len(reqs)]
				if resp := v.Handle(context.Background(), req); !resp.Allowed {
					t.Errorf("denied: %+v", resp.Result)
				}
				m.Handle(context.Background(), req)
			}
		}()
	}
	wg.Wait()
	// Still the same answer after all that.
	resp := v.Handle(context.Background(), reqs[0])
	if !hasWarning(resp.Warnings, "ZD003 prestop: Container web has no preStop hook") {
		t.Errorf("warnings %q", resp.Warnings)
	}
}

func TestClipCountsCharacters(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"ééééé ééééé", 20, "ééééé ééééé"},
		{"ééééé ééééé", 7, "ééééé…"},        // cut at the space
		{"éééééééééé", 6, "ééééé…"},         // no space: n-1 characters and the mark
		{"5–20s after delete", 6, "5–20s…"}, // an en dash is one character
		{"abc", 1, "…"},
	} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
