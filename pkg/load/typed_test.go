package load

import (
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// TestTypeOf holds each modelled kind to its API struct, and Type to
// dropping the untyped form of exactly those kinds.
func TestTypeOf(t *testing.T) {
	cases := []struct {
		src  string
		want any // nil: a kind not modelled
	}{
		{"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, labels: {app: a}}\n", &appsv1.Deployment{}},
		{"apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n", &appsv1.Deployment{}},
		{"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: a}\n", &appsv1.StatefulSet{}},
		{"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a}\n", &appsv1.DaemonSet{}},
		{"apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: a}\n", &appsv1.ReplicaSet{}},
		{"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n", &corev1.Pod{}},
		{"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a}\n", &Rollout{}},
		{"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n", &corev1.Service{}},
		{"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a}\n", &networkingv1.Ingress{}},
		{"apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: a}\n", &LegacyIngress{}},
		{"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\n", &LegacyIngress{}},
		{"apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: a}\n", &policyv1.PodDisruptionBudget{}},
		{"apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", &corev1.Namespace{}},
		{"apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: a}\n", &networkingv1.IngressClass{}},
		{"apiVersion: elbv2.k8s.aws/v1beta1\nkind: IngressClassParams\nmetadata: {name: a}\n", &IngressClassParams{}},
		{"apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: a}\n", &TargetGroupBinding{}},
		{"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\n", &HPA{}},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n", nil},
		{"apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: a}\n", nil},
	}
	for _, c := range cases {
		o := Bytes("t.yaml", []byte(c.src), Options{}).Objects[0]
		what := o.APIVersion + " " + o.Kind
		got := TypeOf(o)
		if o.Typed != nil || o.Raw == nil {
			t.Fatalf("%s: TypeOf changed the object", what)
		}
		if c.want == nil {
			if got != nil {
				t.Errorf("%s: typed as %T, want not modelled", what, got.Object)
			}
			o.Type()
			if o.Typed != nil || o.Raw == nil {
				t.Errorf("%s: Type typed or dropped a kind not modelled", what)
			}
			continue
		}
		if got == nil || got.Err != nil || reflect.TypeOf(got.Object) != reflect.TypeOf(c.want) {
			t.Errorf("%s: typed as %#v, want %T", what, got, c.want)
			continue
		}
		if k := got.Object.GetObjectKind().GroupVersionKind(); k.Kind != o.Kind || k.GroupVersion().String() != o.APIVersion {
			t.Errorf("%s: the typed object says it is %v", what, k)
		}
		o.Type()
		if o.Typed == nil || o.Raw != nil {
			t.Errorf("%s: Type kept the untyped form", what)
		}
	}
}

func TestTypedLabelsAndErrors(t *testing.T) {
	// The schema is checked: a label that is not a string is an error.
	o := Bytes("t.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {v: 2}}\n"), Options{}).Objects[0]
	if got := TypeOf(o); got.Err == nil || got.Object != nil || !strings.Contains(got.Err.Error(), "metadata.labels") {
		t.Errorf("Service with a number label: %#v", got)
	}
	// Not checked: read as meant.
	o = Bytes("t.yaml", []byte("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, labels: {v: 2, b: true, e: ~}}\nspec: {maxReplicas: 3}\n"), Options{}).Objects[0]
	got := TypeOf(o)
	if want := map[string]string{"v": "2", "b": "true", "e": ""}; got.Err != nil || !reflect.DeepEqual(got.Labels, want) {
		t.Errorf("HPA labels %v, want %v (error %v)", got.Labels, want, got.Err)
	}
	if h := got.Object.(*HPA); h.Spec.MaxReplicas != 3 {
		t.Errorf("HPA maxReplicas %d", h.Spec.MaxReplicas)
	}
	// Labels come from the decoded metadata; none is nil, not empty.
	o = Bytes("t.yaml", []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, labels: {}, annotations: {a: b}}\n"), Options{}).Objects[0]
	got = TypeOf(o)
	if got.Labels != nil || !reflect.DeepEqual(got.Annotations, map[string]string{"a": "b"}) {
		t.Errorf("Deployment labels %#v annotations %#v", got.Labels, got.Annotations)
	}
	// A number too large for its field, as the API server says it.
	o = Bytes("t.yaml", []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: 4294967297}\n"), Options{}).Objects[0]
	if got := TypeOf(o); got.Err == nil || !strings.Contains(got.Err.Error(), "spec.replicas") {
		t.Errorf("replicas out of range: %#v", got)
	}
}

func TestRelease(t *testing.T) {
	res := Bytes("t.yaml", []byte("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"), Options{})
	svc, cm := res.Objects[0], res.Objects[1]
	svc.Type()
	cm.Type()
	svc.Release()
	cm.Release()
	// Typing a released object again is an error, never an empty Service.
	if got := TypeOf(svc); got == nil || got.Object != nil || got.Err == nil || !strings.Contains(got.Err.Error(), "dropped") {
		t.Errorf("released Service typed as %#v", got)
	}
	// A kind not modelled has nothing typed to drop: it keeps its raw form.
	if cm.Typed != nil || cm.Raw == nil {
		t.Errorf("released ConfigMap: typed %v, raw %v", cm.Typed, cm.Raw)
	}
}
