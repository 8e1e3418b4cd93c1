// The typed objects: what graph, exposure and the rules read.

package inventory

import (
	"slices"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/load"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// Meta is what every typed object shares. An object's labels are not
// kept but for a Namespace (Namespace.Labels): selectors match the pod
// template's labels, -l matches what the loader read (LabelsOf), and an
// input of tens of thousands of objects would hold a map for each.
type Meta struct {
	Ref
	Pos         load.Position
	Annotations map[string]string
	Object      *load.Object
}

// Workload is anything that runs pods from a template.
type Workload struct {
	Meta
	Template PodTemplate
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

// PodTemplate is the part of a workload's pod template that the engines
// read (rules, simulate, fix, audit): the template's labels and annotations
// and the pod spec's fields below, as the manifest sets them. A pod spec
// holds much more (scheduling, security, DNS, volumes); keeping only this
// makes a workload a third of its size, which counts on inputs of tens of
// thousands of workloads. An engine that needs another field adds it here
// and in podTemplate (kinds.go).
type PodTemplate struct {
	Labels      Labels
	Annotations map[string]string
	Spec        PodSpec
}

// Labels are a pod template's labels as key and value pairs sorted by key.
// Selectors match them (they are a k8s.io/apimachinery labels.Labels); the
// pairs take a fifth of the memory of a map of the same few entries, and
// unlike a selector's, a template's labels are seldom shared.
type Labels []Label

// Label is one pair of Labels.
type Label struct{ Key, Value string }

// LabelsFrom returns the pairs of m.
func LabelsFrom(m map[string]string) Labels {
	if m == nil {
		return nil
	}
	out := make(Labels, 0, len(m))
	for k, v := range m {
		out = append(out, Label{k, v})
	}
	slices.SortFunc(out, func(a, b Label) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// Lookup returns the value of key and whether it is set.
func (l Labels) Lookup(key string) (string, bool) {
	i, ok := slices.BinarySearchFunc(l, key, func(e Label, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return "", false
	}
	return l[i].Value, true
}

// Has reports whether key is set.
func (l Labels) Has(key string) bool { _, ok := l.Lookup(key); return ok }

// Get returns the value of key, "" when it is not set.
func (l Labels) Get(key string) string { v, _ := l.Lookup(key); return v }

// PodSpec is the part of a core/v1 PodSpec that PodTemplate keeps; the
// fields mean what they mean there.
type PodSpec struct {
	Containers                    []Container
	InitContainers                []Container
	TerminationGracePeriodSeconds *int64
	TopologySpreadConstraints     []corev1.TopologySpreadConstraint
	Affinity                      *corev1.Affinity
}

// Container is the part of a core/v1 Container that PodSpec keeps; the
// fields mean what they mean there.
type Container struct {
	Name           string
	Command        []string
	Args           []string
	Ports          []corev1.ContainerPort
	ReadinessProbe *corev1.Probe
	LivenessProbe  *corev1.Probe
	StartupProbe   *corev1.Probe
	Lifecycle      *corev1.Lifecycle
	RestartPolicy  *corev1.ContainerRestartPolicy
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
	Spec ServiceSpec
}

// ServiceSpec is the part of a core/v1 ServiceSpec that the engines read,
// as the manifest sets it (Type defaults to ClusterIP); the fields mean
// what they mean there. As with PodSpec, an engine that needs another field
// adds it here and in addService (kinds.go).
type ServiceSpec struct {
	Type                  corev1.ServiceType
	Ports                 []corev1.ServicePort
	Selector              map[string]string
	ClusterIP             string
	LoadBalancerClass     *string
	ExternalTrafficPolicy corev1.ServiceExternalTrafficPolicy
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

// Namespace is a core/v1 Namespace object from the input; its labels
// turn on the AWS Load Balancer Controller's readiness gate injection.
type Namespace struct {
	Meta
	Labels map[string]string
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
