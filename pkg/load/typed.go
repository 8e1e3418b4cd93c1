// Typing: the kinds zerodrop models, decoded into their API structs.

package load

import (
	"errors"
	"fmt"

	"github.com/zerodrop/zerodrop/internal/intern"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Typed is an object of a kind zerodrop models, decoded. The loader types
// an object only when asked (Object.Type, TypeOf): reading is cheaper
// without it, and typing is what the pipeline needs, not every reader.
type Typed struct {
	// Object is the kind's API struct, filled from the manifest the way the
	// API server reads JSON, or nil when Err is set. By group and kind:
	//
	//	apps, extensions Deployment   *appsv1.Deployment
	//	apps StatefulSet              *appsv1.StatefulSet
	//	apps, extensions DaemonSet    *appsv1.DaemonSet
	//	apps, extensions ReplicaSet   *appsv1.ReplicaSet
	//	Pod                           *corev1.Pod
	//	argoproj.io Rollout           *Rollout
	//	Service                       *corev1.Service
	//	networking.k8s.io Ingress v1  *networkingv1.Ingress
	//	older Ingress versions        *LegacyIngress
	//	policy PodDisruptionBudget    *policyv1.PodDisruptionBudget
	//	Namespace                     *corev1.Namespace (name and metadata only)
	//	IngressClass                  *networkingv1.IngressClass
	//	elbv2.k8s.aws IngressClassParams  *IngressClassParams
	//	elbv2.k8s.aws TargetGroupBinding  *TargetGroupBinding
	//	autoscaling HorizontalPodAutoscaler  *HPA
	//
	// Whatever the version read: making an old version current, and
	// Kubernetes' defaults, are the inventory's job. Pod fields no rule reads
	// (env, resources, volumes and their mounts) are left out. Namespaces and
	// the AWS Load Balancer Controller's kinds are read leniently, a value of
	// the wrong type taken as unset: no schema of theirs is checked.
	Object APIObject
	// Labels and Annotations are the object's metadata. Where the schema is
	// not checked (see Object), values that are not strings are read as
	// the writer meant them: 2 as "2", true as "true", null as "".
	Labels, Annotations map[string]string
	// Err says why the object does not match its kind's schema: a value of
	// the wrong type, a number too large for its field. It is an input
	// error at the object's position.
	Err error
}

// APIObject is a typed object: an API struct, which knows its kind. The
// structs of k8s.io/api are, and so are load's own for the kinds and
// versions k8s.io/api does not hold.
type APIObject interface {
	GetObjectKind() schema.ObjectKind
}

// Rollout is the part of an Argo Rollout (argoproj.io) that zerodrop reads.
type Rollout struct {
	metav1.TypeMeta `json:",inline"`
	Spec            struct {
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

// HPA is the part of a HorizontalPodAutoscaler that sets a replica range;
// every served version (autoscaling/v1, v2, v2beta1, v2beta2) has these
// fields.
type HPA struct {
	metav1.TypeMeta `json:",inline"`
	Spec            struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicas *int32 `json:"minReplicas"`
		MaxReplicas int32  `json:"maxReplicas"`
	} `json:"spec"`
}

// LegacyIngress is the shape of extensions/v1beta1 and
// networking.k8s.io/v1beta1 Ingresses, whose backends name the Service and
// port directly.
type LegacyIngress struct {
	metav1.TypeMeta `json:",inline"`
	Spec            struct {
		IngressClassName *string        `json:"ingressClassName"`
		Backend          *LegacyBackend `json:"backend"`
		Rules            []struct {
			Host string `json:"host"`
			HTTP *struct {
				Paths []struct {
					Path     string        `json:"path"`
					PathType *string       `json:"pathType"`
					Backend  LegacyBackend `json:"backend"`
				} `json:"paths"`
			} `json:"http"`
		} `json:"rules"`
	} `json:"spec"`
}

// LegacyBackend is a v1beta1 Ingress backend.
type LegacyBackend struct {
	ServiceName string             `json:"serviceName"`
	ServicePort intstr.IntOrString `json:"servicePort"`
}

// IngressClassParams is the AWS Load Balancer Controller's class-wide
// settings; only the fields that change timing are read.
type IngressClassParams struct {
	metav1.TypeMeta
	TargetType string // spec.targetType
	GroupName  string // spec.group.name
}

// TargetGroupBinding binds a target group to a Service port.
type TargetGroupBinding struct {
	metav1.TypeMeta
	TargetType  string             // spec.targetType
	ServiceName string             // spec.serviceRef.name
	ServicePort intstr.IntOrString // spec.serviceRef.port
}

// Type types the object (see TypeOf) and, for a kind zerodrop models,
// drops Raw: a large stream is never held in both forms. It does nothing
// to an object already typed. Run it as (part of) Options.Prepare to type
// on the loader's workers.
func (o *Object) Type() {
	if o.Typed == nil {
		o.Typed = TypeOf(o)
	}
	if o.Typed != nil {
		o.Raw = nil
	}
}

// released is the Typed of an object whose typed form was dropped.
var released = &Typed{Err: errors.New("its typed form was dropped after use (load.Object.Release); it must be read again")}

// Release drops the typed form of an object once a model was built from
// it, for a caller that will not read the object again: the model keeps
// what it read, and holding the API struct too would hold most of the
// object twice. Typing the object again is an error, not a silent empty
// object.
func (o *Object) Release() {
	if o.Typed != nil {
		o.Typed = released
	}
}

// ReleaseStruct drops the API struct of a typed object and keeps its
// labels and annotations: a caller that built its model at once, and still
// matches label selectors against the objects (-l), holds only what it
// reads. Typing the object again gives no API struct; the Typed is changed
// in place, so only the owner of an object it typed itself may call it.
func (o *Object) ReleaseStruct() {
	if o.Typed != nil && o.Typed != released {
		o.Typed.Object = nil
	}
}

// TypeOf returns the object typed, leaving it alone: o.Typed when set, nil
// for a kind zerodrop does not model.
func TypeOf(o *Object) *Typed {
	if o.Typed != nil {
		return o.Typed
	}
	tm := metav1.TypeMeta{APIVersion: o.APIVersion, Kind: o.Kind}
	switch o.Group() + "/" + o.Kind {
	case "apps/Deployment", "extensions/Deployment":
		return decodeMeta(o, &appsv1.Deployment{})
	case "apps/StatefulSet":
		return decodeMeta(o, &appsv1.StatefulSet{})
	case "apps/DaemonSet", "extensions/DaemonSet":
		return decodeMeta(o, &appsv1.DaemonSet{})
	case "apps/ReplicaSet", "extensions/ReplicaSet":
		return decodeMeta(o, &appsv1.ReplicaSet{})
	case "/Pod":
		return decodeMeta(o, &corev1.Pod{})
	case "argoproj.io/Rollout":
		return decodeSpec(o, &Rollout{})
	case "/Service":
		return decodeMeta(o, &corev1.Service{})
	case "networking.k8s.io/Ingress", "extensions/Ingress":
		if o.APIVersion == "networking.k8s.io/v1" {
			return decodeMeta(o, &networkingv1.Ingress{})
		}
		return decodeSpec(o, &LegacyIngress{})
	case "policy/PodDisruptionBudget":
		return decodeMeta(o, &policyv1.PodDisruptionBudget{})
	case "/Namespace":
		t := lenient(o, nil)
		t.Object = &corev1.Namespace{TypeMeta: tm,
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Labels: t.Labels, Annotations: t.Annotations}}
		return t
	case "networking.k8s.io/IngressClass", "extensions/IngressClass":
		return decodeMeta(o, &networkingv1.IngressClass{})
	case "elbv2.k8s.aws/IngressClassParams":
		p := &IngressClassParams{TypeMeta: tm}
		if spec, ok := o.Raw["spec"].(map[string]any); ok {
			p.TargetType, _ = spec["targetType"].(string)
			if g, ok := spec["group"].(map[string]any); ok {
				p.GroupName, _ = g["name"].(string)
			}
		}
		return lenient(o, p)
	case "elbv2.k8s.aws/TargetGroupBinding":
		b := &TargetGroupBinding{TypeMeta: tm}
		if spec, ok := o.Raw["spec"].(map[string]any); ok {
			b.TargetType, _ = spec["targetType"].(string)
			if ref, ok := spec["serviceRef"].(map[string]any); ok {
				b.ServiceName, _ = ref["name"].(string)
				switch p := ref["port"].(type) {
				case int64:
					b.ServicePort = intstr.FromInt32(int32(p))
				case string:
					b.ServicePort = intstr.Parse(p)
				}
			}
		}
		return lenient(o, b)
	case "autoscaling/HorizontalPodAutoscaler":
		return decodeSpec(o, &HPA{})
	}
	return nil
}

// metaObject is an API struct with ObjectMeta.
type metaObject interface {
	APIObject
	metav1.Object
}

// decodeMeta decodes an API struct whose metadata is checked with it, and
// takes labels and annotations from what it decoded.
func decodeMeta(o *Object, into metaObject) *Typed {
	if err := decode(o, into); err != nil {
		return &Typed{Err: err}
	}
	return &Typed{Object: into, Labels: nonEmpty(into.GetLabels()), Annotations: nonEmpty(into.GetAnnotations())}
}

// decodeSpec decodes one of load's own structs, which hold no metadata:
// labels and annotations are read leniently.
func decodeSpec(o *Object, into APIObject) *Typed {
	if err := decode(o, into); err != nil {
		return &Typed{Err: err}
	}
	return lenient(o, into)
}

// lenient types an object whose metadata is not checked: its labels and
// annotations are read as the writer meant them.
func lenient(o *Object, obj APIObject) *Typed {
	t := &Typed{Object: obj}
	if md, ok := o.Raw["metadata"].(map[string]any); ok {
		t.Labels = stringMap(md["labels"])
		t.Annotations = stringMap(md["annotations"])
	}
	return t
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
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
	return intern.Labels(out)
}
