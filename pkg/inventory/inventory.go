// Package inventory types the objects the loader read: workloads, Services,
// Ingresses, PodDisruptionBudgets, Namespaces and the AWS Load Balancer
// Controller's kinds. Old API versions are read as their current equivalents
// (and noted); unknown kinds are kept as they are.
//
// The files split it by concern: objects.go holds the typed objects the
// other packages read; inventory.go builds the inventory and its indexes
// (typing in parallel, in input order); decode.go decodes one object as the
// API server would, refusing what it would refuse; kinds.go types each kind,
// reading old API versions as current and marking the defaults it fills in;
// convert.go, ingress.go and labels.go are the fast paths and lookups those
// use.
package inventory

import (
	"fmt"
	"runtime"
	"sort"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/load"
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
