// Package inventory models the objects the loader typed: workloads,
// Services, Ingresses, PodDisruptionBudgets, Namespaces, autoscalers and the
// AWS Load Balancer Controller's kinds. Old API versions are read as their
// current equivalents (and noted); unknown kinds are kept as they are.
//
// The loader decodes each object into its API struct (load.Typed), refusing
// what the API server would refuse; the inventory adds what is its own: the
// default namespace, Kubernetes' defaults, and what each API version means.
// The files split it by concern: objects.go holds the model the other
// packages read; inventory.go builds the inventory (in parallel, in input
// order); kinds.go models each kind, reading old API versions as current
// and marking the defaults it fills in; ingress.go and labels.go are the
// conversions and lookups those use.
package inventory

import (
	"fmt"
	"runtime"
	"sort"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/load"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
)

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
	return buildInventory(objs, defaultNamespace, false)
}

// BuildReleasing is Build for a caller that owns the objects and has no
// further use for their typed form: each object's is released
// (load.Object.Release) as soon as its model is built, so that a large
// input is never held both typed and modelled.
func BuildReleasing(objs []*load.Object, defaultNamespace string) *Inventory {
	return buildInventory(objs, defaultNamespace, true)
}

func buildInventory(objs []*load.Object, defaultNamespace string, release bool) *Inventory {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	inv := &Inventory{
		Objects:            objs,
		Namespaces:         map[string]*Namespace{},
		IngressClasses:     map[string]*IngressClass{},
		IngressClassParams: map[string]*IngressClassParams{},
	}
	results := make([]typed, len(objs))
	parallel(len(objs), func(i int) {
		o := objs[i]
		if release && o.Prepared != nil {
			if t, ok := o.Prepared.(*typed); ok {
				results[i] = *t
				o.Prepared = nil
				return
			}
		}
		lt := o.Typed
		if lt == nil {
			setNamespace(o, defaultNamespace)
			lt = load.TypeOf(o)
		}
		results[i] = typeObject(o, lt)
		if release {
			o.Release()
		}
	})
	seen := make(map[Ref]load.Position, len(objs))
	for i, o := range objs {
		inv.collect(o, &results[i])
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

// setNamespace writes only what changes: objects the loader typed may be
// shared by Builds running at once (the webhook keeps them).
func setNamespace(o *load.Object, defaultNamespace string) {
	if clusterScoped[o.Kind] {
		if o.Namespace != "" {
			o.Namespace = ""
		}
	} else if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
}

// Preparer returns a load.Options.Prepare hook that applies the default
// namespace and has the loader type each object as soon as it is parsed
// (load.Object.Type), dropping the untyped form of known kinds: a large
// stream is never held twice in memory. Build uses the typed result.
func Preparer(defaultNamespace string) func(*load.Object) {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	return func(o *load.Object) {
		setNamespace(o, defaultNamespace)
		o.Type()
	}
}

// ModelPreparer is Preparer for a caller that builds its inventory with
// BuildReleasing from these objects alone: each object's model is built as
// soon as the object is parsed, on the loader's workers, and its API struct
// dropped at once. A large stream is then never held in typed form at once
// (a 50 MB stream's typed structs are as much again as its model), and the
// structs die a batch at a time, their memory taken again by the next
// batch's instead of freed all together once the whole stream is typed,
// which leaves the model's objects scattered over half-empty pages. Labels
// are kept when keepLabels is set, for label selectors matched before the
// inventory is built (LabelsOf).
func ModelPreparer(defaultNamespace string, keepLabels bool) func(*load.Object) {
	if defaultNamespace == "" {
		defaultNamespace = "default"
	}
	return func(o *load.Object) {
		setNamespace(o, defaultNamespace)
		o.Type()
		t := typeObject(o, o.Typed)
		o.Prepared = &t
		if keepLabels {
			o.ReleaseStruct()
		} else {
			o.Release()
		}
	}
}

// Moved returns a copy of an object whose position moved by delta lines,
// keeping what the loader typed: tools that edit one document of a file
// re-check the others without typing them again. What Build makes of it
// (positions, notes) follows the new position.
func Moved(o *load.Object, delta int) *load.Object {
	c := *o
	c.Pos.Line += delta
	c.Prepared = nil // a model built before knows the old position
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

// typeObject builds the model of one object from what the loader typed
// (lt; nil for a kind not modelled).
func typeObject(o *load.Object, lt *load.Typed) (t typed) {
	switch {
	case lt == nil:
		t.unknown = true
		return t
	case lt.Err != nil:
		t.err = lt.Err
		return t
	}
	m := Meta{Ref: refOf(o), Pos: o.Pos, Object: o, Annotations: lt.Annotations}
	var err error
	switch x := lt.Object.(type) {
	case *appsv1.Deployment:
		t.addDeployment(o, m, x)
	case *appsv1.StatefulSet:
		t.addStatefulSet(o, m, x)
	case *appsv1.DaemonSet:
		t.addDaemonSet(o, m, x)
	case *appsv1.ReplicaSet:
		t.addReplicaSet(o, m, x)
	case *corev1.Pod:
		t.addPod(m, x)
	case *load.Rollout:
		t.addRollout(o, m, x)
	case *corev1.Service:
		t.addService(m, x)
	case *networkingv1.Ingress:
		t.ingress = &Ingress{Meta: m, Spec: x.Spec}
	case *load.LegacyIngress:
		t.addLegacyIngress(o, m, x)
	case *policyv1.PodDisruptionBudget:
		t.pdb = &PDB{Meta: m, Spec: x.Spec}
	case *corev1.Namespace:
		t.namespace = &Namespace{Meta: m, Labels: lt.Labels}
	case *networkingv1.IngressClass:
		t.addIngressClass(m, x)
	case *load.IngressClassParams:
		t.classParams = &IngressClassParams{Meta: m, TargetType: x.TargetType, GroupName: x.GroupName}
	case *load.TargetGroupBinding:
		t.tgb = &TargetGroupBinding{Meta: m, ServiceName: x.ServiceName, ServicePort: x.ServicePort, TargetType: x.TargetType}
	case *load.HPA:
		err = t.addHPA(m, x)
	default:
		t.unknown = true
	}
	if err != nil {
		return typed{err: err, notes: t.notes}
	}
	return t
}

func refOf(o *load.Object) Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}
