package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/load"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// build loads src as test.yaml and types it, both ways the project does:
// after loading (Build) and while loading (Preparer). It checks that the two
// agree and returns the first.
func build(t *testing.T, src, namespace string) *Inventory {
	t.Helper()
	res := load.Bytes("test.yaml", []byte(src), load.Options{})
	if len(res.Errors) > 0 {
		t.Fatalf("load errors: %v", res.Errors)
	}
	inv := Build(res.Objects, namespace)

	prepared := load.Bytes("test.yaml", []byte(src), load.Options{Prepare: Preparer(namespace)})
	inv2 := Build(prepared.Objects, namespace)
	if a, b := summary(inv), summary(inv2); a != b {
		t.Errorf("Build and Preparer disagree:\n%s\n---\n%s", a, b)
	}
	// BuildReleasing builds the same, and leaves no typed form behind.
	released := load.Bytes("test.yaml", []byte(src), load.Options{Prepare: Preparer(namespace)})
	inv3 := BuildReleasing(released.Objects, namespace)
	if a, b := summary(inv), summary(inv3); a != b {
		t.Errorf("Build and BuildReleasing disagree:\n%s\n---\n%s", a, b)
	}
	for i, o := range released.Objects {
		if prepared.Objects[i].Typed != nil && o.Typed.Object != nil {
			t.Errorf("%s/%s: typed form kept after BuildReleasing", o.Kind, o.Name)
		}
	}
	// ModelPreparer builds each model while loading; BuildReleasing takes
	// them. Every model is the same as built after loading, in the same
	// detail (the objects' typed forms are released either way), and no
	// API struct is left on an object, with or without its labels kept.
	for _, keep := range []bool{false, true} {
		early := load.Bytes("test.yaml", []byte(src), load.Options{Prepare: ModelPreparer(namespace, keep)})
		for i, o := range early.Objects {
			if o.Typed != nil && o.Typed.Object != nil {
				t.Errorf("%s/%s: API struct kept by ModelPreparer", o.Kind, o.Name)
			}
			if want := LabelsOf(prepared.Objects[i]); keep && !reflect.DeepEqual(LabelsOf(o), want) {
				t.Errorf("%s/%s: labels %v after ModelPreparer, want %v", o.Kind, o.Name, LabelsOf(o), want)
			}
		}
		inv4 := BuildReleasing(early.Objects, namespace)
		for _, o := range early.Objects {
			if o.Prepared != nil {
				t.Errorf("%s/%s: model still held by the object after BuildReleasing", o.Kind, o.Name)
			}
			if keep {
				o.Release() // as in inv3, so that the inventories compare
			}
		}
		if !reflect.DeepEqual(inv3, inv4) {
			t.Errorf("ModelPreparer (keep labels %v) and BuildReleasing disagree:\n%s\n---\n%s", keep, summary(inv3), summary(inv4))
		}
	}
	return inv
}

// summary describes an inventory in a stable text form.
func summary(inv *Inventory) string {
	var b strings.Builder
	for _, w := range inv.Workloads {
		fmt.Fprintf(&b, "workload %s %v replicas=%d strategy=%s\n", w.Ref, w.Pos, w.Replicas, strategy(w.Strategy))
	}
	for _, s := range inv.Services {
		fmt.Fprintf(&b, "service %s %s\n", s.Ref, s.Spec.Type)
	}
	for _, i := range inv.Ingresses {
		fmt.Fprintf(&b, "ingress %s %d backends\n", i.Ref, len(i.Backends()))
	}
	for _, p := range inv.PDBs {
		fmt.Fprintf(&b, "pdb %s %s\n", p.Ref, p.APIVersion)
	}
	for _, h := range inv.HPAs {
		fmt.Fprintf(&b, "hpa %s %v target=%s/%s/%s min=%d(%v) max=%d\n", h.Ref, h.Pos, h.Target.APIVersion, h.Target.Kind, h.Target.Name, h.MinReplicas, h.MinSet, h.MaxReplicas)
	}
	var ns []string
	for n := range inv.Namespaces {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	fmt.Fprintf(&b, "namespaces %v unknown %d objects %d\n", ns, inv.Unknown, len(inv.Objects))
	for _, e := range inv.Errors {
		fmt.Fprintf(&b, "error %s\n", e)
	}
	for _, n := range inv.Notes {
		fmt.Fprintf(&b, "note %s %v %s\n", n.Ref, n.Pos, n.Message)
	}
	return b.String()
}

// strategy renders a strategy as "Type surge/unavailable", with "(default)"
// when Kubernetes' defaults apply.
func strategy(s Strategy) string {
	out := s.Type
	if s.MaxSurge != nil || s.MaxUnavailable != nil {
		out += " " + intOrString(s.MaxSurge) + "/" + intOrString(s.MaxUnavailable)
	}
	switch {
	case s.SurgeDefaulted && s.UnavailableDefaulted:
		out += " (default)"
	case s.SurgeDefaulted:
		out += " (default surge)"
	case s.UnavailableDefaulted:
		out += " (default unavailable)"
	}
	return out
}

func intOrString(v *intstr.IntOrString) string {
	if v == nil {
		return "-"
	}
	return v.String()
}

func workload(t *testing.T, inv *Inventory, kind, name string) *Workload {
	t.Helper()
	for _, w := range inv.Workloads {
		if w.Kind == kind && w.Name == name {
			return w
		}
	}
	t.Fatalf("no workload %s/%s in %s", kind, name, summary(inv))
	return nil
}

const podTemplateYAML = `
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx
`

func TestWorkloads(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		kind     string
		replicas int32
		perNode  bool
		strategy string
		note     string
	}{
		{
			name: "Deployment with defaults",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:" + podTemplateYAML,
			kind: "Deployment", replicas: 1, strategy: "RollingUpdate 25%/25% (default)",
		},
		{
			name: "Deployment with a written strategy",
			src: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 4\n" +
				"  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}" + podTemplateYAML,
			kind: "Deployment", replicas: 4, strategy: "RollingUpdate 1/0",
		},
		{
			name: "Deployment with one value written",
			src: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 4\n" +
				"  strategy:\n    rollingUpdate: {maxUnavailable: 0}" + podTemplateYAML,
			kind: "Deployment", replicas: 4, strategy: "RollingUpdate 25%/0 (default surge)",
		},
		{
			name: "Deployment with Recreate",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 2\n  strategy: {type: Recreate}" + podTemplateYAML,
			kind: "Deployment", replicas: 2, strategy: "Recreate",
		},
		{
			name: "Deployment with zero replicas",
			src:  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 0" + podTemplateYAML,
			kind: "Deployment", replicas: 0, strategy: "RollingUpdate 25%/25% (default)",
		},
		{
			name: "extensions/v1beta1 Deployment",
			src:  "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 3" + podTemplateYAML,
			kind: "Deployment", replicas: 3, strategy: "RollingUpdate 1/1 (default)",
			note: "extensions/v1beta1 Deployment is read as apps/v1",
		},
		{
			name: "apps/v1beta2 Deployment",
			src:  "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: w}\nspec:" + podTemplateYAML,
			kind: "Deployment", replicas: 1, strategy: "RollingUpdate 25%/25% (default)",
			note: "apps/v1beta2 Deployment is read as apps/v1",
		},
		{
			name: "StatefulSet with defaults",
			src:  "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: w}\nspec:\n  replicas: 3\n  serviceName: w" + podTemplateYAML,
			kind: "StatefulSet", replicas: 3, strategy: "RollingUpdate 0/1 (default)",
		},
		{
			name: "StatefulSet with OnDelete",
			src:  "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: w}\nspec:\n  updateStrategy: {type: OnDelete}" + podTemplateYAML,
			kind: "StatefulSet", replicas: 1, strategy: "OnDelete",
		},
		{
			name: "StatefulSet with maxUnavailable",
			src: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: w}\nspec:\n  replicas: 5\n" +
				"  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {maxUnavailable: 2, partition: 0}" + podTemplateYAML,
			kind: "StatefulSet", replicas: 5, strategy: "RollingUpdate 0/2 (default surge)",
		},
		{
			name: "apps/v1beta1 StatefulSet",
			src:  "apiVersion: apps/v1beta1\nkind: StatefulSet\nmetadata: {name: w}\nspec:\n  replicas: 2" + podTemplateYAML,
			kind: "StatefulSet", replicas: 2, strategy: "OnDelete",
			note: "apps/v1beta1 StatefulSet is read as apps/v1",
		},
		{
			name: "DaemonSet with defaults",
			src:  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: w}\nspec:" + podTemplateYAML,
			kind: "DaemonSet", replicas: 1, perNode: true, strategy: "RollingUpdate 0/1 (default)",
		},
		{
			name: "DaemonSet with surge",
			src:  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: w}\nspec:\n  updateStrategy:\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}" + podTemplateYAML,
			kind: "DaemonSet", replicas: 1, perNode: true, strategy: "RollingUpdate 1/0",
		},
		{
			name: "extensions/v1beta1 DaemonSet",
			src:  "apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata: {name: w}\nspec:" + podTemplateYAML,
			kind: "DaemonSet", replicas: 1, perNode: true, strategy: "OnDelete",
			note: "extensions/v1beta1 DaemonSet is read as apps/v1",
		},
		{
			name: "ReplicaSet",
			src:  "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: w}\nspec:\n  replicas: 2" + podTemplateYAML,
			kind: "ReplicaSet", replicas: 2, strategy: "None",
		},
		{
			name: "Pod",
			src:  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w\n  labels: {app: web}\nspec:\n  containers:\n  - name: app\n    image: nginx\n",
			kind: "Pod", replicas: 1, strategy: "None",
		},
		{
			name: "Rollout with canary defaults",
			src:  "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w}\nspec:\n  replicas: 4\n  strategy:\n    canary:\n      steps: [{setWeight: 20}]" + podTemplateYAML,
			kind: "Rollout", replicas: 4, strategy: "Canary 25%/25% (default)",
		},
		{
			name: "Rollout with a written canary",
			src:  "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w}\nspec:\n  replicas: 4\n  strategy:\n    canary: {maxSurge: 1, maxUnavailable: 0}" + podTemplateYAML,
			kind: "Rollout", replicas: 4, strategy: "Canary 1/0",
		},
		{
			name: "Rollout with blue-green",
			src:  "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: w}\nspec:\n  strategy:\n    blueGreen: {activeService: w}" + podTemplateYAML,
			kind: "Rollout", replicas: 1, strategy: "BlueGreen",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := build(t, tt.src, "")
			if len(inv.Errors) != 0 {
				t.Fatalf("errors: %v", inv.Errors)
			}
			w := workload(t, inv, tt.kind, "w")
			if w.Replicas != tt.replicas || w.PerNode != tt.perNode {
				t.Errorf("replicas %d perNode %v, want %d %v", w.Replicas, w.PerNode, tt.replicas, tt.perNode)
			}
			if got := strategy(w.Strategy); got != tt.strategy {
				t.Errorf("strategy %q, want %q", got, tt.strategy)
			}
			if w.Template.Labels.Get("app") != "web" || len(w.Template.Spec.Containers) != 1 || w.Template.Spec.Containers[0].Name != "app" {
				t.Errorf("pod template not read: %+v", w.Template)
			}
			if w.Pos != (load.Position{File: "test.yaml", Line: 1}) || w.Namespace != "default" || w.Object == nil {
				t.Errorf("meta: %+v", w.Meta)
			}
			switch {
			case tt.note == "" && len(inv.Notes) != 0:
				t.Errorf("unexpected notes: %v", inv.Notes)
			case tt.note != "" && (len(inv.Notes) != 1 || !strings.Contains(inv.Notes[0].Message, tt.note)):
				t.Errorf("notes %v, want %q", inv.Notes, tt.note)
			case tt.note != "" && inv.Notes[0].Pos.Line != 1:
				t.Errorf("note at %v", inv.Notes[0].Pos)
			}
		})
	}
}

func TestLegacySelectorDefault(t *testing.T) {
	// Before apps/v1 the selector defaulted to the template's labels.
	for _, av := range []string{"extensions/v1beta1", "apps/v1beta1"} {
		inv := build(t, "apiVersion: "+av+"\nkind: Deployment\nmetadata: {name: w}\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: a, image: b}]\n", "")
		w := workload(t, inv, "Deployment", "w")
		if w.Selector == nil || !reflect.DeepEqual(w.Selector.MatchLabels, map[string]string{"app": "web"}) {
			t.Errorf("%s: selector %v, want the template labels", av, w.Selector)
		}
	}
}

func TestRolloutWorkloadRef(t *testing.T) {
	inv := build(t, `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: r
spec:
  workloadRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
`, "")
	if len(inv.Workloads) != 0 || len(inv.Errors) != 0 || inv.Unknown != 0 {
		t.Errorf("a Rollout with a workloadRef is not a workload: %s", summary(inv))
	}
	if len(inv.Notes) != 1 || !strings.Contains(inv.Notes[0].Message, "Deployment/web") {
		t.Errorf("notes %v", inv.Notes)
	}
}

func TestIngressVersions(t *testing.T) {
	src := `apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: old
  annotations:
    kubernetes.io/ingress.class: alb
spec:
  backend:
    serviceName: fallback
    servicePort: 8080
  rules:
  - host: a.example.com
    http:
      paths:
      - path: /
        backend:
          serviceName: web
          servicePort: http
      - path: /api
        pathType: Prefix
        backend:
          serviceName: api
          servicePort: 80
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata:
  name: beta
spec:
  ingressClassName: alb
  rules:
  - http:
      paths:
      - path: /
        backend:
          serviceName: web
          servicePort: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: current
spec:
  ingressClassName: alb
  defaultBackend:
    service:
      name: web
      port: {name: http}
  rules:
  - host: b.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: web
            port: {number: 80}
`
	inv := build(t, src, "shop")
	if len(inv.Errors) != 0 || len(inv.Ingresses) != 3 {
		t.Fatalf("%s", summary(inv))
	}
	backends := func(i *Ingress) string {
		var out []string
		for _, b := range i.Backends() {
			if b.Port.Name != "" {
				out = append(out, b.Name+":"+b.Port.Name)
			} else {
				out = append(out, fmt.Sprintf("%s:%d", b.Name, b.Port.Number))
			}
		}
		return strings.Join(out, " ")
	}
	old, beta, current := inv.Ingresses[0], inv.Ingresses[1], inv.Ingresses[2]
	if got := backends(old); got != "fallback:8080 web:http api:80" {
		t.Errorf("extensions/v1beta1 backends %q", got)
	}
	if p := old.Spec.Rules[0].HTTP.Paths; p[0].Path != "/" || p[0].PathType != nil || p[1].PathType == nil || *p[1].PathType != "Prefix" {
		t.Errorf("paths %+v", p)
	}
	if old.Spec.Rules[0].Host != "a.example.com" || old.Annotations["kubernetes.io/ingress.class"] != "alb" || old.APIVersion != "extensions/v1beta1" {
		t.Errorf("old ingress %+v", old.Meta)
	}
	if got := backends(beta); got != "web:80" || beta.Spec.IngressClassName == nil || *beta.Spec.IngressClassName != "alb" {
		t.Errorf("networking.k8s.io/v1beta1: backends %q, class %v", got, beta.Spec.IngressClassName)
	}
	if got := backends(current); got != "web:http web:80" {
		t.Errorf("networking.k8s.io/v1 backends %q", got)
	}
	if len(inv.Notes) != 2 || !strings.Contains(inv.Notes[0].Message, "read as networking.k8s.io/v1") || inv.Notes[1].Pos.Line != 25 {
		t.Errorf("notes %v", inv.Notes)
	}
	for _, i := range inv.Ingresses {
		if i.Namespace != "shop" {
			t.Errorf("%s in %q", i.Name, i.Namespace)
		}
	}
}

func TestPDBs(t *testing.T) {
	inv := build(t, `apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: old}
spec:
  minAvailable: 1
  selector: {}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: current}
spec:
  maxUnavailable: 25%
  selector:
    matchLabels: {app: web}
`, "")
	if len(inv.Errors) != 0 || len(inv.PDBs) != 2 {
		t.Fatalf("%s", summary(inv))
	}
	old, current := inv.PDBs[0], inv.PDBs[1]
	if old.APIVersion != "policy/v1beta1" || old.Spec.MinAvailable == nil || old.Spec.MinAvailable.IntValue() != 1 || old.Spec.Selector == nil {
		t.Errorf("policy/v1beta1 PDB %+v %+v", old.Ref, old.Spec)
	}
	if current.APIVersion != "policy/v1" || current.Spec.MaxUnavailable.String() != "25%" || current.Spec.Selector.MatchLabels["app"] != "web" {
		t.Errorf("policy/v1 PDB %+v %+v", current.Ref, current.Spec)
	}
}

func TestNamespacesAndUnknownKinds(t *testing.T) {
	src := `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {elbv2.k8s.aws/pod-readiness-gate-inject: enabled}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: no-namespace}
---
apiVersion: v1
kind: Service
metadata: {name: svc, namespace: shop}
spec:
  ports: [{port: 80}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader, namespace: ignored}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: alb
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec:
  controller: ingress.k8s.aws/alb
  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: alb-params}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata: {name: alb-params}
spec:
  targetType: ip
  group: {name: shared}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: TargetGroupBinding
metadata: {name: tgb}
spec:
  targetType: instance
  serviceRef: {name: svc, port: 80}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec: {size: 3}
`
	for _, ns := range []string{"", "team-a"} {
		inv := build(t, src, ns)
		want := ns
		if want == "" {
			want = "default"
		}
		if len(inv.Errors) != 0 {
			t.Fatalf("errors %v", inv.Errors)
		}
		got := map[string]string{}
		for _, o := range inv.Objects {
			got[o.Kind+"/"+o.Name] = o.Namespace
		}
		wantNS := map[string]string{
			"Namespace/shop": "", "ConfigMap/no-namespace": want, "Service/svc": "shop", "ClusterRole/reader": "",
			"IngressClass/alb": "", "IngressClassParams/alb-params": "", "TargetGroupBinding/tgb": want, "Widget/w": want,
		}
		if !reflect.DeepEqual(got, wantNS) {
			t.Errorf("default namespace %q: namespaces %v, want %v", ns, got, wantNS)
		}
		// ConfigMap, ClusterRole and Widget are not modelled; they are kept.
		if inv.Unknown != 3 || len(inv.Objects) != 8 {
			t.Errorf("unknown %d, objects %d", inv.Unknown, len(inv.Objects))
		}
		if n := inv.Namespaces["shop"]; n == nil || n.Labels["elbv2.k8s.aws/pod-readiness-gate-inject"] != "enabled" {
			t.Errorf("namespace %+v", n)
		}
		if c := inv.IngressClasses["alb"]; c == nil || !c.Default || c.Controller != "ingress.k8s.aws/alb" || c.ParamsName != "alb-params" {
			t.Errorf("ingress class %+v", c)
		}
		if p := inv.IngressClassParams["alb-params"]; p == nil || p.TargetType != "ip" || p.GroupName != "shared" {
			t.Errorf("params %+v", p)
		}
		if len(inv.TargetGroupBindings) != 1 || inv.TargetGroupBindings[0].ServicePort.IntValue() != 80 || inv.TargetGroupBindings[0].TargetType != "instance" {
			t.Errorf("tgb %+v", inv.TargetGroupBindings)
		}
		if len(inv.Services) != 1 || inv.Services[0].Spec.Type != "ClusterIP" || inv.Services[0].Spec.Ports[0].Port != 80 {
			t.Errorf("services %+v", inv.Services)
		}
		if w := inv.Objects[7]; w.Raw["spec"].(map[string]any)["size"] != int64(3) {
			t.Errorf("unknown kind lost its content: %v", w.Raw)
		}
	}
}

func TestTargetGroupBindingNamedPort(t *testing.T) {
	inv := build(t, "apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: tgb}\nspec:\n  serviceRef: {name: svc, port: http}\n", "")
	if p := inv.TargetGroupBindings[0].ServicePort; p.Type != intstr.String || p.StrVal != "http" {
		t.Errorf("port %v", p)
	}
}

func TestLabelsOfTheWrongType(t *testing.T) {
	// Kubernetes reads label and annotation values as strings only: an
	// unquoted number, or yes (a YAML 1.1 boolean), makes kubectl apply fail.
	inv := build(t, `apiVersion: v1
kind: Service
metadata:
  name: number
  labels:
    version: 2
spec: {}
---
apiVersion: v1
kind: Service
metadata:
  name: yes-no
  annotations:
    enabled: yes
spec: {}
---
apiVersion: v1
kind: Service
metadata:
  name: quoted
  labels: {version: "2", enabled: "yes"}
spec: {}
`, "")
	if len(inv.Errors) != 2 || len(inv.Services) != 1 || inv.Services[0].Name != "quoted" {
		t.Fatalf("%s", summary(inv))
	}
	if e := inv.Errors[0]; e.Pos.Line != 1 || !strings.Contains(e.Message, "Service/number") || !strings.Contains(e.Message, "metadata.labels") {
		t.Errorf("error %v", e)
	}
	if e := inv.Errors[1]; e.Pos.Line != 9 || !strings.Contains(e.Message, "metadata.annotations") || !strings.Contains(e.Message, "bool") {
		t.Errorf("error %v", e)
	}
	if got := LabelsOf(inv.Services[0].Object); !reflect.DeepEqual(got, map[string]string{"version": "2", "enabled": "yes"}) {
		t.Errorf("labels %v", got)
	}
	// Namespaces are not checked against the schema; their labels are read
	// as the writer meant them.
	inv = build(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns1\n  labels: {a: 2, b: true, c: 0.5, d: ~}\n", "")
	want := map[string]string{"a": "2", "b": "true", "c": "0.5", "d": ""}
	if got := inv.Namespaces["ns1"].Labels; !reflect.DeepEqual(got, want) {
		t.Errorf("namespace labels %v, want %v", got, want)
	}
}

func TestTypeMismatch(t *testing.T) {
	src := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: good-before
spec:` + podTemplateYAML + `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: "three"` + podTemplateYAML + `---
apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports: {port: 80}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: half
spec:
  replicas: 2.5` + podTemplateYAML + `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: good-after
spec:
  replicas: 2.0` + podTemplateYAML
	inv := build(t, src, "")
	if len(inv.Errors) != 3 {
		t.Fatalf("want 3 errors: %s", summary(inv))
	}
	e := inv.Errors[0]
	if e.Pos != (load.Position{File: "test.yaml", Line: 16}) || !strings.Contains(e.Message, "Deployment/web in shop: does not match the Deployment schema: spec.replicas: cannot use string as int32") {
		t.Errorf("error %v", e)
	}
	if e := inv.Errors[1]; e.Pos.Line != 33 || !strings.Contains(e.Message, "Service/svc") || !strings.Contains(e.Message, "spec.ports") {
		t.Errorf("error %v", e)
	}
	if e := inv.Errors[2]; e.Pos.Line != 40 || !strings.Contains(e.Message, "Deployment/half") || !strings.Contains(e.Message, "number 2.5") {
		t.Errorf("error %v", e)
	}
	if len(inv.Workloads) != 2 || inv.Workloads[0].Name != "good-before" || inv.Workloads[1].Name != "good-after" {
		t.Errorf("the other objects were not all typed: %s", summary(inv))
	}
	if r := workload(t, inv, "Deployment", "good-after").Replicas; r != 2 {
		t.Errorf("replicas: 2.0 read as %d", r)
	}
	if !strings.Contains(inv.Errors[0].Error(), "test.yaml:16: Deployment/web in shop") {
		t.Errorf("error text %q", inv.Errors[0].Error())
	}
}

func TestErrorsSorted(t *testing.T) {
	// Errors come out by file and line whatever order typing finished in.
	var b strings.Builder
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d%d}\nspec: {replicas: bad}\n---\n", i)
	}
	inv := build(t, b.String(), "")
	if len(inv.Errors) != 300 {
		t.Fatalf("%d errors", len(inv.Errors))
	}
	for i := 1; i < len(inv.Errors); i++ {
		if inv.Errors[i-1].Pos.Line >= inv.Errors[i].Pos.Line {
			t.Fatalf("errors out of order at %d: %v then %v", i, inv.Errors[i-1].Pos, inv.Errors[i].Pos)
		}
	}
}

func TestNumbersOutOfRange(t *testing.T) {
	inv := build(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: huge}
spec:
  replicas: 99999999999`+podTemplateYAML+`---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big-grace}
spec:
  replicas: 2`+strings.Replace(podTemplateYAML, "    spec:\n", "    spec:\n      terminationGracePeriodSeconds: 4294967296\n", 1), "")
	if len(inv.Errors) != 1 || !strings.Contains(inv.Errors[0].Message, "Deployment/huge") || !strings.Contains(inv.Errors[0].Message, "spec.replicas") {
		t.Fatalf("a replica count beyond int32 must be refused, not truncated: %s", summary(inv))
	}
	w := workload(t, inv, "Deployment", "big-grace")
	if g := w.Template.Spec.TerminationGracePeriodSeconds; w.Replicas != 2 || g == nil || *g != 4294967296 {
		t.Errorf("an int64 field lost its value: %v", g)
	}
}

// Autoscalers of every served version are read the same way; what the API
// server's validation refuses is an input error naming the field.
func TestHPAs(t *testing.T) {
	inv := build(t, `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: api}
spec:
  scaleTargetRef: {kind: StatefulSet, name: api}
  maxReplicas: 4
  targetCPUUtilizationPercentage: 80
---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: inverted}
spec:
  scaleTargetRef: {kind: Deployment, name: x}
  minReplicas: 5
  maxReplicas: 3
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: untargeted}
spec:
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: nomax}
spec:
  scaleTargetRef: {kind: Deployment, name: x}
`, "prod")
	if len(inv.HPAs) != 2 {
		t.Fatalf("want 2 autoscalers, got %d:\n%s", len(inv.HPAs), summary(inv))
	}
	web, api := inv.HPAs[0], inv.HPAs[1]
	if web.Namespace != "shop" || web.Target != (ScaleTarget{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}) || web.MinReplicas != 2 || !web.MinSet || web.MaxReplicas != 10 {
		t.Errorf("autoscaling/v2: %+v", web)
	}
	if api.Namespace != "prod" || api.Target.Kind != "StatefulSet" || api.MinReplicas != 1 || api.MinSet || api.MaxReplicas != 4 {
		t.Errorf("autoscaling/v1 with minReplicas left out: %+v", api)
	}
	var errs []string
	for _, e := range inv.Errors {
		errs = append(errs, e.Message)
	}
	got := strings.Join(errs, "\n")
	for _, want := range []string{
		"HorizontalPodAutoscaler/inverted in prod: spec.minReplicas 5 is above spec.maxReplicas 3",
		"HorizontalPodAutoscaler/untargeted in prod: spec.scaleTargetRef needs a kind and a name",
		"HorizontalPodAutoscaler/nomax in prod: spec.maxReplicas 0: must be at least 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

func TestLabelsOfEveryTypedKind(t *testing.T) {
	src := "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, labels: {app: web}}\nspec: {scaleTargetRef: {kind: Deployment, name: web}, maxReplicas: 3}\n" +
		"---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, labels: {app: web}}\nspec: {workloadRef: {kind: Deployment, name: web}}\n" +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {app: web}}\n"
	for _, prepare := range []func(*load.Object){nil, Preparer("")} {
		for _, o := range load.Bytes("t.yaml", []byte(src), load.Options{Prepare: prepare}).Objects {
			if got := LabelsOf(o); got["app"] != "web" {
				t.Errorf("%s (prepared %v): labels %v", o.Kind, prepare != nil, got)
			}
		}
	}
}

// A pod template's labels answer lookups and selectors as the map they
// came from does.
func TestLabels(t *testing.T) {
	m := map[string]string{"tier": "web", "app": "shop", "z": "", "version": "v2"}
	l := LabelsFrom(m)
	if len(l) != len(m) || !slices.IsSortedFunc(l, func(a, b Label) int { return strings.Compare(a.Key, b.Key) }) {
		t.Fatalf("pairs %v", l)
	}
	for _, k := range []string{"tier", "app", "z", "version", "", "ap", "zz", "a"} {
		want, wantOK := m[k]
		if got, ok := l.Lookup(k); got != want || ok != wantOK || l.Has(k) != wantOK || l.Get(k) != want {
			t.Errorf("%q: %q %v, want %q %v", k, got, ok, want, wantOK)
		}
	}
	for _, sel := range []string{"app=shop", "app=shop,tier=web", "app!=shop", "z", "!z", "missing", "!missing", "version in (v1,v2)", "app=other"} {
		s, err := labels.Parse(sel)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Matches(l), s.Matches(labels.Set(m)); got != want {
			t.Errorf("%s: matches %v, want %v", sel, got, want)
		}
	}
	if LabelsFrom(nil) != nil || (Labels(nil)).Has("a") {
		t.Error("no labels")
	}
}
