// Modelling each kind from its API struct: defaults filled in (and marked),
// old API versions read as their current equivalents (and noted), every
// workload kind reduced to one shape.

package inventory

import (
	"errors"
	"fmt"

	"github.com/zerodrop/zerodrop/pkg/load"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func (t *typed) note(o *load.Object, msg string) {
	t.notes = append(t.notes, Note{Pos: o.Pos, Ref: refOf(o), File: o.Pos.File, Line: o.Pos.Line, Message: msg})
}

func (t *typed) oldVersion(o *load.Object, current string) {
	t.note(o, fmt.Sprintf("%s %s is read as %s (the old version is no longer served by current Kubernetes)", o.APIVersion, o.Kind, current))
}

func (t *typed) addDeployment(o *load.Object, m Meta, d *appsv1.Deployment) {
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: m, Template: podTemplate(&d.Spec.Template), Replicas: replicas(d.Spec.Replicas), ReplicasSet: d.Spec.Replicas != nil,
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
}

func (t *typed) addStatefulSet(o *load.Object, m Meta, s *appsv1.StatefulSet) {
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: m, Template: podTemplate(&s.Spec.Template), Replicas: replicas(s.Spec.Replicas), ReplicasSet: s.Spec.Replicas != nil,
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
}

func (t *typed) addDaemonSet(o *load.Object, m Meta, d *appsv1.DaemonSet) {
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	w := &Workload{Meta: m, Template: podTemplate(&d.Spec.Template), PerNode: true, Replicas: 1,
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
}

func (t *typed) addReplicaSet(o *load.Object, m Meta, r *appsv1.ReplicaSet) {
	if o.APIVersion != "apps/v1" {
		t.oldVersion(o, "apps/v1")
	}
	t.workload = &Workload{Meta: m, Template: podTemplate(&r.Spec.Template),
		Replicas: replicas(r.Spec.Replicas), ReplicasSet: r.Spec.Replicas != nil, MinReadySeconds: r.Spec.MinReadySeconds,
		Selector: selector(o, r.Spec.Selector, r.Spec.Template), Strategy: Strategy{Type: "None"}}
}

func (t *typed) addPod(m Meta, p *corev1.Pod) {
	t.workload = &Workload{Meta: m,
		Template: podTemplate(&corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}),
		Replicas: 1, Strategy: Strategy{Type: "None"}}
}

func (t *typed) addRollout(o *load.Object, m Meta, r *load.Rollout) {
	if r.Spec.WorkloadRef != nil {
		t.note(o, fmt.Sprintf("Rollout refers to %s/%s for its pod template; that template is not checked through the Rollout", r.Spec.WorkloadRef.Kind, r.Spec.WorkloadRef.Name))
		return
	}
	w := &Workload{Meta: m, Template: podTemplate(&r.Spec.Template), Replicas: replicas(r.Spec.Replicas),
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
}

func (t *typed) addService(m Meta, s *corev1.Service) {
	spec := ServiceSpec{Type: s.Spec.Type, Ports: s.Spec.Ports, Selector: s.Spec.Selector, ClusterIP: s.Spec.ClusterIP,
		LoadBalancerClass: s.Spec.LoadBalancerClass, ExternalTrafficPolicy: s.Spec.ExternalTrafficPolicy}
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	t.service = &Service{Meta: m, Spec: spec}
}

func (t *typed) addIngressClass(m Meta, c *networkingv1.IngressClass) {
	ic := &IngressClass{Meta: m, Controller: c.Spec.Controller,
		Default: m.Annotations["ingressclass.kubernetes.io/is-default-class"] == "true"}
	if p := c.Spec.Parameters; p != nil && p.Kind == "IngressClassParams" {
		ic.ParamsName = p.Name
	}
	t.ingressClass = ic
}

// addHPA reads an autoscaler, refusing what the API server's validation
// refuses (no target, maxReplicas below 1 or below minReplicas), so a range
// the cluster would never hold is never judged.
func (t *typed) addHPA(m Meta, h *load.HPA) error {
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
	t.hpa = &HPA{Meta: m, Target: ScaleTarget(sp.ScaleTargetRef), MinReplicas: replicas(sp.MinReplicas), MinSet: sp.MinReplicas != nil, MaxReplicas: sp.MaxReplicas}
	return nil
}

// podTemplate is the part of a pod template the model keeps (PodTemplate).
func podTemplate(t *corev1.PodTemplateSpec) PodTemplate {
	return PodTemplate{Labels: LabelsFrom(t.Labels), Annotations: t.Annotations, Spec: PodSpec{
		Containers: containers(t.Spec.Containers), InitContainers: containers(t.Spec.InitContainers),
		TerminationGracePeriodSeconds: t.Spec.TerminationGracePeriodSeconds,
		TopologySpreadConstraints:     t.Spec.TopologySpreadConstraints,
		Affinity:                      t.Spec.Affinity,
	}}
}

// containers is the part of each container the model keeps (Container).
func containers(cs []corev1.Container) []Container {
	if cs == nil {
		return nil
	}
	out := make([]Container, len(cs))
	for i := range cs {
		c := &cs[i]
		out[i] = Container{Name: c.Name, Command: c.Command, Args: c.Args, Ports: c.Ports,
			ReadinessProbe: c.ReadinessProbe, LivenessProbe: c.LivenessProbe, StartupProbe: c.StartupProbe,
			Lifecycle: c.Lifecycle, RestartPolicy: c.RestartPolicy}
	}
	return out
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
