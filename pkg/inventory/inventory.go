// Package inventory types the objects the loader read: workloads, Services,
// Ingresses, PodDisruptionBudgets, Namespaces and the AWS Load Balancer
// Controller's kinds. Old API versions are read as their current equivalents
// (and noted); unknown kinds are kept as they are.
package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strings"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/load"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Ref names an object the way reports and kubectl do.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Name + " in " + r.Namespace
}

// Meta is what every typed object shares.
type Meta struct {
	Ref
	Pos         load.Position
	Labels      map[string]string
	Annotations map[string]string
	Object      *load.Object
}

// Workload is anything that runs pods from a template.
type Workload struct {
	Meta
	Template corev1.PodTemplateSpec
	// Replicas is spec.replicas; 1 when unset (ReplicasSet false). PerNode
	// is set for DaemonSets, whose count is the number of matching nodes.
	// Rules do not read it: an autoscaler may set the count instead, and
	// graph.Replicas gives the range the workload runs in.
	Replicas        int32
	ReplicasSet     bool
	PerNode         bool
	Strategy        Strategy
	MinReadySeconds int32
	// ProgressDeadline is progressDeadlineSeconds (Deployments; 600 when
	// unset, 0 for kinds without one) and ProgressDeadlineSet whether written.
	ProgressDeadline    int32
	ProgressDeadlineSet bool
	Selector            *metav1.LabelSelector
}

// Strategy is a workload's update strategy, normalised across kinds.
type Strategy struct {
	// Type is RollingUpdate, Recreate, OnDelete, Canary or BlueGreen.
	Type           string
	MaxSurge       *intstr.IntOrString
	MaxUnavailable *intstr.IntOrString
	// SurgeDefaulted and UnavailableDefaulted say the value is Kubernetes'
	// default, not written in the manifest.
	SurgeDefaulted, UnavailableDefaulted bool
}

// Service is a core/v1 Service.
type Service struct {
	Meta
	Spec corev1.ServiceSpec
}

// Ingress is a networking.k8s.io/v1 Ingress (older versions converted).
type Ingress struct {
	Meta
	Spec networkingv1.IngressSpec
}

// PDB is a PodDisruptionBudget; Spec is policy/v1 whatever the version read.
type PDB struct {
	Meta
	Spec policyv1.PodDisruptionBudgetSpec
}

// HPA is a HorizontalPodAutoscaler (autoscaling/v1, v2, v2beta1 or
// v2beta2, which share these fields): the workload it scales and the range
// it keeps the replica count in. The HPA controller sets the workload's
// replicas within [MinReplicas, MaxReplicas], whatever spec.replicas says.
type HPA struct {
	Meta
	// Target is spec.scaleTargetRef, in the HPA's namespace.
	Target ScaleTarget
	// MinReplicas is 1 when unset (MinSet false), as the API defaults it.
	MinReplicas int32
	MinSet      bool
	MaxReplicas int32
}

// ScaleTarget names the object an autoscaler scales.
type ScaleTarget struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

// Namespace is a core/v1 Namespace object from the input.
type Namespace struct {
	Meta
}

// IngressClass is a networking.k8s.io/v1 IngressClass.
type IngressClass struct {
	Meta
	Controller string
	Default    bool
	// ParamsName names an IngressClassParams when the class refers to one.
	ParamsName string
}

// IngressClassParams is the AWS Load Balancer Controller's class-wide
// settings; only the fields that change timing are kept.
type IngressClassParams struct {
	Meta
	TargetType string
	GroupName  string
}

// TargetGroupBinding binds a target group to a Service port.
type TargetGroupBinding struct {
	Meta
	ServiceName string
	ServicePort intstr.IntOrString
	TargetType  string
}

// Note is a remark about the input that is not an error, such as an old API
// version read as its current equivalent.
type Note struct {
	Pos     load.Position `json:"-"`
	Ref     Ref           `json:"object"`
	File    string        `json:"file"`
	Line    int           `json:"line"`
	Message string        `json:"message"`
}

// Inventory is every object read, typed where the kind is known.
type Inventory struct {
	Objects             []*load.Object
	Workloads           []*Workload
	Services            []*Service
	Ingresses           []*Ingress
	PDBs                []*PDB
	Namespaces          map[string]*Namespace
	IngressClasses      map[string]*IngressClass
	IngressClassParams  map[string]*IngressClassParams
	TargetGroupBindings []*TargetGroupBinding
	HPAs                []*HPA
	// Unknown counts objects of kinds zerodrop does not model; they are kept
	// in Objects.
	Unknown int
	Errors  []load.InputError
	Notes   []Note
}

// clusterScoped lists the kinds that have no namespace.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "IngressClass": true, "IngressClassParams": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PersistentVolume": true, "StorageClass": true, "PriorityClass": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
	"APIService": true, "RuntimeClass": true, "CSIDriver": true, "VolumeAttachment": true,
	"ClusterIssuer": true,
}

// ClusterScoped reports whether a kind has no namespace.
func ClusterScoped(kind string) bool { return clusterScoped[kind] }

// typed is the result of typing one object; exactly one field is set, or
// unknown, or err.
type typed struct {
	workload     *Workload
	service      *Service
	ingress      *Ingress
	pdb          *PDB
	namespace    *Namespace
	ingressClass *IngressClass
	classParams  *IngressClassParams
	tgb          *TargetGroupBinding
	hpa          *HPA
	unknown      bool
	err          error
	notes        []Note
}

// Build types the objects. Objects without a namespace are put in
// defaultNamespace, as kubectl apply would. Typing runs in parallel; the
// result keeps input order.
func Build(objs []*load.Object, defaultNamespace string) *Inventory {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	inv := &Inventory{
		Objects:            objs,
		Namespaces:         map[string]*Namespace{},
		IngressClasses:     map[string]*IngressClass{},
		IngressClassParams: map[string]*IngressClassParams{},
	}
	results := make([]*typed, len(objs))
	parallel(len(objs), func(i int) {
		if t, ok := objs[i].Typed.(*typed); ok {
			results[i] = t
			return
		}
		setNamespace(objs[i], defaultNamespace)
		t := typeObject(objs[i])
		results[i] = &t
	})
	seen := make(map[Ref]load.Position, len(objs))
	for i, o := range objs {
		inv.collect(o, results[i])
		id := Ref{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
		if first, dup := seen[id]; dup {
			inv.Notes = append(inv.Notes, Note{Pos: o.Pos, Ref: refOf(o), File: o.Pos.File, Line: o.Pos.Line,
				Message: fmt.Sprintf("also defined at %s; applied together, the last one wins", first)})
			continue
		}
		seen[id] = o.Pos
	}
	sort.SliceStable(inv.Errors, func(i, j int) bool { return lessPos(inv.Errors[i].Pos, inv.Errors[j].Pos) })
	return inv
}

func setNamespace(o *load.Object, defaultNamespace string) {
	if clusterScoped[o.Kind] {
		o.Namespace = ""
	} else if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
}

// Preparer returns a load.Options.Prepare hook that applies the default
// namespace and types each object as soon as it is parsed, then drops the
// untyped form of known kinds: a large stream is never held twice in memory.
// Build uses the prepared result.
func Preparer(defaultNamespace string) func(*load.Object) {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	return func(o *load.Object) {
		setNamespace(o, defaultNamespace)
		t := typeObject(o)
		o.Typed = &t
		if !t.unknown {
			o.Raw = nil
		}
	}
}

// Moved returns a copy of an object whose position moved by delta lines,
// keeping what Preparer made of it: tools that edit one document of a file
// re-check the others without typing them again.
func Moved(o *load.Object, delta int) *load.Object {
	c := *o
	c.Pos.Line += delta
	t, ok := o.Typed.(*typed)
	if !ok {
		return &c
	}
	m := *t
	move := func(meta *Meta) { meta.Pos = c.Pos; meta.Object = &c }
	switch {
	case t.workload != nil:
		x := *t.workload
		move(&x.Meta)
		m.workload = &x
	case t.service != nil:
		x := *t.service
		move(&x.Meta)
		m.service = &x
	case t.ingress != nil:
		x := *t.ingress
		move(&x.Meta)
		m.ingress = &x
	case t.pdb != nil:
		x := *t.pdb
		move(&x.Meta)
		m.pdb = &x
	case t.namespace != nil:
		x := *t.namespace
		move(&x.Meta)
		m.namespace = &x
	case t.ingressClass != nil:
		x := *t.ingressClass
		move(&x.Meta)
		m.ingressClass = &x
	case t.classParams != nil:
		x := *t.classParams
		move(&x.Meta)
		m.classParams = &x
	case t.tgb != nil:
		x := *t.tgb
		move(&x.Meta)
		m.tgb = &x
	case t.hpa != nil:
		x := *t.hpa
		move(&x.Meta)
		m.hpa = &x
	}
	m.notes = make([]Note, len(t.notes))
	for i, n := range t.notes {
		n.Pos.Line += delta
		n.Line += delta
		m.notes[i] = n
	}
	c.Typed = &m
	return &c
}

// parallel calls fn(i) for every i < n on GOMAXPROCS goroutines, in
// chunks of 64: one object is too little work for a goroutine.
func parallel(n int, fn func(int)) {
	workpool.Chunks(n, 64, min(runtime.GOMAXPROCS(0), n/64+1), func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			fn(i)
		}
		return nil
	})
}

func lessPos(a, b load.Position) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

func (inv *Inventory) collect(o *load.Object, t *typed) {
	inv.Notes = append(inv.Notes, t.notes...)
	switch {
	case t.err != nil:
		inv.Errors = append(inv.Errors, load.InputError{Pos: o.Pos, Message: fmt.Sprintf("%s: %v", refOf(o), t.err)})
	case t.workload != nil:
		inv.Workloads = append(inv.Workloads, t.workload)
	case t.service != nil:
		inv.Services = append(inv.Services, t.service)
	case t.ingress != nil:
		inv.Ingresses = append(inv.Ingresses, t.ingress)
	case t.pdb != nil:
		inv.PDBs = append(inv.PDBs, t.pdb)
	case t.namespace != nil:
		inv.Namespaces[o.Name] = t.namespace
	case t.ingressClass != nil:
		inv.IngressClasses[o.Name] = t.ingressClass
	case t.classParams != nil:
		inv.IngressClassParams[o.Name] = t.classParams
	case t.tgb != nil:
		inv.TargetGroupBindings = append(inv.TargetGroupBindings, t.tgb)
	case t.hpa != nil:
		inv.HPAs = append(inv.HPAs, t.hpa)
	case t.unknown:
		inv.Unknown++
	}
}

func typeObject(o *load.Object) (t typed) {
	var err error
	switch groupKind(o) {
	case "apps/Deployment", "extensions/Deployment":
		err = t.addDeployment(o)
	case "apps/StatefulSet":
		err = t.addStatefulSet(o)
	case "apps/DaemonSet", "extensions/DaemonSet":
		err = t.addDaemonSet(o)
	case "apps/ReplicaSet", "extensions/ReplicaSet":
		err = t.addReplicaSet(o)
	case "/Pod":
		err = t.addPod(o)
	case "argoproj.io/Rollout":
		err = t.addRollout(o)
	case "/Service":
		err = t.addService(o)
	case "networking.k8s.io/Ingress", "extensions/Ingress":
		err = t.addIngress(o)
	case "policy/PodDisruptionBudget":
		err = t.addPDB(o)
	case "/Namespace":
		t.namespace = &Namespace{Meta: meta(o)}
	case "networking.k8s.io/IngressClass", "extensions/IngressClass":
		err = t.addIngressClass(o)
	case "elbv2.k8s.aws/IngressClassParams":
		t.addIngressClassParams(o)
	case "elbv2.k8s.aws/TargetGroupBinding":
		t.addTGB(o)
	case "autoscaling/HorizontalPodAutoscaler":
		err = t.addHPA(o)
	default:
		t.unknown = true
	}
	if err != nil {
		return typed{err: err, notes: t.notes}
	}
	return t
}

func groupKind(o *load.Object) string { return o.Group() + "/" + o.Kind }

func refOf(o *load.Object) Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

func meta(o *load.Object) Meta {
	m := Meta{Ref: refOf(o), Pos: o.Pos, Object: o}
	if md, ok := o.Raw["metadata"].(map[string]any); ok {
		m.Labels = stringMap(md["labels"])
		m.Annotations = stringMap(md["annotations"])
	}
	return m
}

// stringMap reads labels or annotations, accepting non-string scalars the
// way a careless manifest writes them (the API server would refuse them,
// but the intent is clear).
func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		switch x := e.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// decode converts the object's raw map into a typed API struct, the way the
// API server reads JSON: a value of the wrong type or a number too large for
// its field is an error.
func decode(o *load.Object, into any) error {
	// The unstructured converter is twice as fast as a JSON round trip, but
	// it silently truncates numbers that do not fit their field, so input
	// with such numbers takes the JSON way.
	if hasLargeNumber(o.Raw, 0) {
		return decodeJSON(o, into)
	}
	m := pruned(o)
	if convertFast(m, into) == nil {
		return nil
	}
	v := reflect.ValueOf(into).Elem()
	v.Set(reflect.Zero(v.Type()))
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(m, into); err != nil {
		// The converter's messages do not name the field; encoding/json's do.
		if jerr := decodeJSON(o, reflect.New(reflect.TypeOf(into).Elem()).Interface()); jerr != nil {
			return jerr
		}
		return fmt.Errorf("does not match the %s schema: %w", o.Kind, err)
	}
	return nil
}

// unusedPodFields are parts of a pod spec no rule reads. Typing them (env
// values, resource quantities, volumes) is most of the cost of a workload
// and most of its memory, so the typed model leaves them out.
var (
	unusedPodFields       = []string{"volumes"}
	unusedContainerFields = []string{"env", "envFrom", "resources", "volumeMounts", "volumeDevices", "resizePolicy"}
)

// pruned returns the object's content without the unused pod fields,
// copying only the maps on the way, so Raw itself is left as read.
func pruned(o *load.Object) map[string]any {
	var path []string
	switch o.Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout":
		path = []string{"spec", "template", "spec"}
	case "Pod":
		path = []string{"spec"}
	default:
		return o.Raw
	}
	root := shallow(o.Raw)
	cur := root
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return o.Raw
		}
		next = shallow(next)
		cur[k] = next
		cur = next
	}
	for _, f := range unusedPodFields {
		delete(cur, f)
	}
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		cs, ok := cur[list].([]any)
		if !ok {
			continue
		}
		out := make([]any, len(cs))
		for i, c := range cs {
			m, ok := c.(map[string]any)
			if !ok {
				out[i] = c
				continue
			}
			m = shallow(m)
			for _, f := range unusedContainerFields {
				delete(m, f)
			}
			out[i] = m
		}
		cur[list] = out
	}
	return root
}

func shallow(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func decodeJSON(o *load.Object, into any) error {
	data, err := json.Marshal(o.Raw)
	if err != nil {
		return fmt.Errorf("cannot be read as JSON: %w", err)
	}
	err = json.Unmarshal(data, into)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("does not match the %s schema: %s: cannot use %s as %s", o.Kind, te.Field, te.Value, te.Type)
	}
	return fmt.Errorf("does not match the %s schema: %s", o.Kind, strings.TrimPrefix(err.Error(), "json: "))
}

// hasLargeNumber reports a number outside the int32 range anywhere in v.
// Fields that take such numbers are rare (runAsUser, activeDeadlineSeconds),
// so this is almost always false.
func hasLargeNumber(v any, depth int) bool {
	if depth > 300 {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hasLargeNumber(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasLargeNumber(e, depth+1) {
				return true
			}
		}
	case int64:
		return x > math.MaxInt32 || x < math.MinInt32
	case float64:
		return x > math.MaxInt32 || x < math.MinInt32
	}
	return false
}

func (t *typed) note(o *load.Object, msg string) {
	t.notes = append(t.notes, Note{Pos: o.Pos, Ref: refOf(o), File: o.Pos.File, Line: o.Pos.Line, Message: msg})
}

func (t *typed) oldVersion(o *load.Object, current string) {
	t.note(o, fmt.Sprintf("%s %s is read as %s (the old version is no longer served by current Kubernetes)", o.APIVersion, o.Kind, current))
}

func (t *typed) addDeployment(o *load.Object) error {
	var d appsv1.Deployment
	if err := decode(o, &d); err != nil {
		return err
	}
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: meta(o), Template: d.Spec.Template, Replicas: replicas(d.Spec.Replicas), ReplicasSet: d.Spec.Replicas != nil,
		MinReadySeconds: d.Spec.MinReadySeconds, Selector: selector(o, d.Spec.Selector, d.Spec.Template), ProgressDeadline: 600}
	if d.Spec.ProgressDeadlineSeconds != nil {
		w.ProgressDeadline, w.ProgressDeadlineSet = *d.Spec.ProgressDeadlineSeconds, true
	}
	legacy := o.APIVersion == "extensions/v1beta1"
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		w.Strategy = Strategy{Type: "Recreate"}
	default:
		s := Strategy{Type: "RollingUpdate"}
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
			s.MaxSurge, s.MaxUnavailable = ru.MaxSurge, ru.MaxUnavailable
		}
		def := intstr.FromString("25%")
		if legacy {
			def = intstr.FromInt32(1)
		}
		if s.MaxSurge == nil {
			s.MaxSurge, s.SurgeDefaulted = &def, true
		}
		if s.MaxUnavailable == nil {
			v := def
			s.MaxUnavailable, s.UnavailableDefaulted = &v, true
		}
		w.Strategy = s
	}
	t.workload = w
	return nil
}

func (t *typed) addStatefulSet(o *load.Object) error {
	var s appsv1.StatefulSet
	if err := decode(o, &s); err != nil {
		return err
	}
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: meta(o), Template: s.Spec.Template, Replicas: replicas(s.Spec.Replicas), ReplicasSet: s.Spec.Replicas != nil,
		MinReadySeconds: s.Spec.MinReadySeconds, Selector: selector(o, s.Spec.Selector, s.Spec.Template)}
	one := intstr.FromInt32(1)
	zero := intstr.FromInt32(0)
	w.Strategy = Strategy{Type: "RollingUpdate", MaxSurge: &zero, MaxUnavailable: &one, SurgeDefaulted: true, UnavailableDefaulted: true}
	// apps/v1beta1 defaulted the update strategy to OnDelete; later versions
	// default to RollingUpdate.
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType ||
		(o.APIVersion == "apps/v1beta1" && s.Spec.UpdateStrategy.Type == "") {
		w.Strategy = Strategy{Type: "OnDelete"}
	} else if ru := s.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		w.Strategy.MaxUnavailable, w.Strategy.UnavailableDefaulted = ru.MaxUnavailable, false
	}
	t.workload = w
	return nil
}

func (t *typed) addDaemonSet(o *load.Object) error {
	var d appsv1.DaemonSet
	if err := decode(o, &d); err != nil {
		return err
	}
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: meta(o), Template: d.Spec.Template, PerNode: true, Replicas: 1,
		MinReadySeconds: d.Spec.MinReadySeconds, Selector: selector(o, d.Spec.Selector, d.Spec.Template)}
	if d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType ||
		(o.APIVersion == "extensions/v1beta1" && d.Spec.UpdateStrategy.Type == "") {
		w.Strategy = Strategy{Type: "OnDelete"}
	} else {
		one := intstr.FromInt32(1)
		zero := intstr.FromInt32(0)
		s := Strategy{Type: "RollingUpdate", MaxSurge: &zero, MaxUnavailable: &one, SurgeDefaulted: true, UnavailableDefaulted: true}
		if ru := d.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			if ru.MaxUnavailable != nil {
				s.MaxUnavailable, s.UnavailableDefaulted = ru.MaxUnavailable, false
			}
			if ru.MaxSurge != nil {
				s.MaxSurge, s.SurgeDefaulted = ru.MaxSurge, false
			}
		}
		w.Strategy = s
	}
	t.workload = w
	return nil
}

func (t *typed) addReplicaSet(o *load.Object) error {
	var r appsv1.ReplicaSet
	if err := decode(o, &r); err != nil {
		return err
	}
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	t.workload = &Workload{Meta: meta(o), Template: r.Spec.Template,
		Replicas: replicas(r.Spec.Replicas), ReplicasSet: r.Spec.Replicas != nil, MinReadySeconds: r.Spec.MinReadySeconds,
		Selector: selector(o, r.Spec.Selector, r.Spec.Template), Strategy: Strategy{Type: "None"}}
	return nil
}

func (t *typed) addPod(o *load.Object) error {
	var p corev1.Pod
	if err := decode(o, &p); err != nil {
		return err
	}
	t.workload = &Workload{Meta: meta(o),
		Template: corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec},
		Replicas: 1, Strategy: Strategy{Type: "None"}}
	return nil
}

// rollout is the part of an Argo Rollout that matters here.
type rollout struct {
	Spec struct {
		Replicas        *int32                 `json:"replicas"`
		MinReadySeconds int32                  `json:"minReadySeconds"`
		Selector        *metav1.LabelSelector  `json:"selector"`
		Template        corev1.PodTemplateSpec `json:"template"`
		WorkloadRef     *struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"workloadRef"`
		Strategy struct {
			Canary *struct {
				MaxSurge       *intstr.IntOrString `json:"maxSurge"`
				MaxUnavailable *intstr.IntOrString `json:"maxUnavailable"`
			} `json:"canary"`
			BlueGreen *struct{} `json:"blueGreen"`
		} `json:"strategy"`
	} `json:"spec"`
}

func (t *typed) addRollout(o *load.Object) error {
	var r rollout
	if err := decode(o, &r); err != nil {
		return err
	}
	if r.Spec.WorkloadRef != nil {
		t.note(o, fmt.Sprintf("Rollout refers to %s/%s for its pod template; that template is not checked through the Rollout", r.Spec.WorkloadRef.Kind, r.Spec.WorkloadRef.Name))
		return nil
	}
	w := &Workload{Meta: meta(o), Template: r.Spec.Template, Replicas: replicas(r.Spec.Replicas),
		ReplicasSet: r.Spec.Replicas != nil, MinReadySeconds: r.Spec.MinReadySeconds, Selector: r.Spec.Selector}
	switch {
	case r.Spec.Strategy.BlueGreen != nil:
		w.Strategy = Strategy{Type: "BlueGreen"}
	default:
		// Argo Rollouts defaults both to 25%, like a Deployment.
		s := Strategy{Type: "Canary"}
		surge, unavailable := intstr.FromString("25%"), intstr.FromString("25%")
		if c := r.Spec.Strategy.Canary; c != nil {
			s.MaxSurge, s.MaxUnavailable = c.MaxSurge, c.MaxUnavailable
		}
		if s.MaxSurge == nil {
			s.MaxSurge, s.SurgeDefaulted = &surge, true
		}
		if s.MaxUnavailable == nil {
			s.MaxUnavailable, s.UnavailableDefaulted = &unavailable, true
		}
		w.Strategy = s
	}
	t.workload = w
	return nil
}

func (t *typed) addService(o *load.Object) error {
	var s corev1.Service
	if err := decode(o, &s); err != nil {
		return err
	}
	if s.Spec.Type == "" {
		s.Spec.Type = corev1.ServiceTypeClusterIP
	}
	t.service = &Service{Meta: meta(o), Spec: s.Spec}
	return nil
}

func (t *typed) addPDB(o *load.Object) error {
	var p policyv1.PodDisruptionBudget
	if err := decode(o, &p); err != nil {
		return err
	}
	t.pdb = &PDB{Meta: meta(o), Spec: p.Spec}
	return nil
}

func (t *typed) addIngressClass(o *load.Object) error {
	var c networkingv1.IngressClass
	if err := decode(o, &c); err != nil {
		return err
	}
	m := meta(o)
	ic := &IngressClass{Meta: m, Controller: c.Spec.Controller,
		Default: m.Annotations["ingressclass.kubernetes.io/is-default-class"] == "true"}
	if p := c.Spec.Parameters; p != nil && p.Kind == "IngressClassParams" {
		ic.ParamsName = p.Name
	}
	t.ingressClass = ic
	return nil
}

func (t *typed) addIngressClassParams(o *load.Object) {
	p := &IngressClassParams{Meta: meta(o)}
	if spec, ok := o.Raw["spec"].(map[string]any); ok {
		p.TargetType, _ = spec["targetType"].(string)
		if g, ok := spec["group"].(map[string]any); ok {
			p.GroupName, _ = g["name"].(string)
		}
	}
	t.classParams = p
}

func (tt *typed) addTGB(o *load.Object) {
	t := &TargetGroupBinding{Meta: meta(o)}
	if spec, ok := o.Raw["spec"].(map[string]any); ok {
		t.TargetType, _ = spec["targetType"].(string)
		if ref, ok := spec["serviceRef"].(map[string]any); ok {
			t.ServiceName, _ = ref["name"].(string)
			switch p := ref["port"].(type) {
			case int64:
				t.ServicePort = intstr.FromInt32(int32(p))
			case string:
				t.ServicePort = intstr.Parse(p)
			}
		}
	}
	tt.tgb = t
}

// hpa is the part of a HorizontalPodAutoscaler that sets a replica range;
// every served version has these fields.
type hpa struct {
	Spec struct {
		ScaleTargetRef ScaleTarget `json:"scaleTargetRef"`
		MinReplicas    *int32      `json:"minReplicas"`
		MaxReplicas    int32       `json:"maxReplicas"`
	} `json:"spec"`
}

// addHPA reads an autoscaler, refusing what the API server's validation
// refuses (no target, maxReplicas below 1 or below minReplicas), so a range
// the cluster would never hold is never judged.
func (t *typed) addHPA(o *load.Object) error {
	var h hpa
	if err := decode(o, &h); err != nil {
		return err
	}
	sp := h.Spec
	switch {
	case sp.ScaleTargetRef.Kind == "" || sp.ScaleTargetRef.Name == "":
		return errors.New("spec.scaleTargetRef needs a kind and a name")
	case sp.MaxReplicas < 1:
		return fmt.Errorf("spec.maxReplicas %d: must be at least 1", sp.MaxReplicas)
	case sp.MinReplicas != nil && *sp.MinReplicas < 0:
		return fmt.Errorf("spec.minReplicas %d: must not be negative", *sp.MinReplicas)
	case sp.MinReplicas != nil && *sp.MinReplicas > sp.MaxReplicas:
		return fmt.Errorf("spec.minReplicas %d is above spec.maxReplicas %d", *sp.MinReplicas, sp.MaxReplicas)
	}
	t.hpa = &HPA{Meta: meta(o), Target: sp.ScaleTargetRef, MinReplicas: replicas(sp.MinReplicas), MinSet: sp.MinReplicas != nil, MaxReplicas: sp.MaxReplicas}
	return nil
}

// selector is a workload's selector. extensions/v1beta1 and apps/v1beta1
// defaulted a missing selector to the pod template's labels; apps/v1 and
// apps/v1beta2 require one.
func selector(o *load.Object, sel *metav1.LabelSelector, tpl corev1.PodTemplateSpec) *metav1.LabelSelector {
	if sel != nil || len(tpl.Labels) == 0 || (o.APIVersion != "extensions/v1beta1" && o.APIVersion != "apps/v1beta1") {
		return sel
	}
	labels := make(map[string]string, len(tpl.Labels))
	for k, v := range tpl.Labels {
		labels[k] = v
	}
	return &metav1.LabelSelector{MatchLabels: labels}
}

func replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
