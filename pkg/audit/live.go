package audit

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// GateConditionPrefix starts the condition type of the controller's
// readiness gates.
const GateConditionPrefix = "target-health.elbv2.k8s.aws/"

// liveChecks finds what only a running cluster shows.
type liveChecks struct {
	a      *auditor
	pods   []unstructured.Unstructured
	slices []unstructured.Unstructured
	notes  []string
	// controller facts
	lbcFound     bool
	webhookFails string // failurePolicy of the pod mutating webhook, if found
	webhookName  string
}

// readController looks for the AWS Load Balancer Controller and its pod
// webhook. Both are cluster-wide; a narrow RBAC role may not see them,
// which is said, not failed.
func (l *liveChecks) readController(ctx context.Context) {
	deps, err := l.a.list(ctx, deploysGVR, "", lbcNameLabel)
	switch {
	case l.a.fatalErr(err):
		return
	case err != nil:
		l.notes = append(l.notes, "AWS Load Balancer Controller not looked up: "+err.Error())
	case len(deps) == 0:
		l.notes = append(l.notes, "no AWS Load Balancer Controller Deployment found (label "+lbcNameLabel+"): Ingresses of class alb and controller-managed NLB Services are not reconciled here")
	default:
		l.lbcFound = true
		d := deps[0]
		l.notes = append(l.notes, fmt.Sprintf("AWS Load Balancer Controller %s found (Deployment %s/%s)", controllerVersion(&d), d.GetNamespace(), d.GetName()))
	}
	hooks, err := l.a.list(ctx, webhooksGVR, "", "")
	if l.a.fatalErr(err) {
		return
	}
	if err != nil {
		l.notes = append(l.notes, "mutating webhooks not read: "+err.Error())
		return
	}
	for _, h := range hooks {
		list, _, _ := unstructured.NestedSlice(h.Object, "webhooks")
		for _, w := range list {
			m, _ := w.(map[string]any)
			if m["name"] == "mpod.elbv2.k8s.aws" {
				l.webhookName = h.GetName()
				l.webhookFails, _ = m["failurePolicy"].(string)
				if l.webhookFails == "" {
					l.webhookFails = "Fail"
				}
			}
		}
	}
}

// controllerVersion reads the controller's version from its image tag.
func controllerVersion(d *unstructured.Unstructured) string {
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		img, _ := m["image"].(string)
		if i := strings.LastIndex(img, ":"); i >= 0 && !strings.Contains(img[i:], "/") {
			return img[i+1:]
		}
	}
	return "(version unknown)"
}

// findings runs after the rules, with the model the rules saw.
func (l *liveChecks) findings(m *check.Model) []finding.Finding {
	var out []finding.Finding
	out = append(out, l.gates(m)...)
	out = append(out, l.webhookPolicy(m)...)
	out = append(out, l.sliceSizes(m)...)
	return out
}

func ruleName(id string) string {
	if r := rules.Lookup(id); r != nil {
		return r.Name
	}
	return ""
}

func newFinding(id string, sev finding.Severity, obj inventory.Meta, msg, fix string, ev ...finding.Evidence) finding.Finding {
	if ev == nil {
		ev = []finding.Evidence{}
	}
	return finding.Finding{Rule: id, Name: ruleName(id), Severity: sev, Object: obj.Ref,
		File: obj.Pos.File, Line: obj.Pos.Line, Message: msg, Fix: fix, Evidence: ev}
}

// podsOf returns the listed pods a workload's selector matches.
func (l *liveChecks) podsOf(w *inventory.Workload) []*corev1.Pod {
	if w.Selector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(w.Selector)
	if err != nil || sel.Empty() {
		return nil
	}
	var out []*corev1.Pod
	for i := range l.pods {
		u := &l.pods[i]
		if u.GetNamespace() != w.Namespace || !sel.Matches(labels.Set(u.GetLabels())) {
			continue
		}
		var p corev1.Pod
		if runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p) == nil && p.DeletionTimestamp == nil {
			out = append(out, &p)
		}
	}
	return out
}

// gates finds pods in a labelled namespace that lack the controller's
// readiness gate (created before the label, the Service or the binding;
// only creation injects it), and gates stuck False.
func (l *liveChecks) gates(m *check.Model) []finding.Finding {
	var out []finding.Finding
	seen := map[*inventory.Workload]bool{}
	for _, e := range m.Exposures {
		if !e.GateCapable() {
			continue
		}
		for _, w := range e.Workloads {
			ns := m.Graph.Namespace(w.Namespace)
			if seen[w] || ns == nil || ns.Labels[exposure.GateLabel] != "enabled" {
				continue
			}
			seen[w] = true
			pods := l.podsOf(w)
			var missing, stuck []string
			now := l.a.opts.Now()
			for _, p := range pods {
				has := false
				for _, g := range p.Spec.ReadinessGates {
					if strings.HasPrefix(string(g.ConditionType), GateConditionPrefix) {
						has = true
					}
				}
				if !has {
					missing = append(missing, p.Name)
					continue
				}
				stuck = append(stuck, l.stuckGates(p, now)...)
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				out = append(out, newFinding("ZD002", finding.Error, w.Meta,
					fmt.Sprintf("%d of %d pods of %s have no readiness gate although namespace %s is labelled: they were created before the label, the Service or the target group binding existed (only pod creation injects the gate), so a rollout will not wait for %s to register their replacements: %s.",
						len(missing), len(pods), w.Ref, w.Namespace, e.Describe(), listNames(missing)),
					restartFix(w),
					finding.Fact("pods without gate", int64(len(missing)), timing.FromManifest, "live pods"),
					finding.Fact("pods", int64(len(pods)), timing.FromManifest, "live pods")))
			}
			if len(stuck) > 0 {
				out = append(out, newFinding("ZD002", finding.Warning, w.Meta,
					fmt.Sprintf("The readiness gate of %d pods of %s has been False, or never set since the pod started, for more than %s: %s. The load balancer does not consider them healthy; a rollout waiting on them stalls until its progress deadline.",
						len(stuck), w.Ref, l.a.opts.StuckAfter, listNames(stuck)),
					"check the target group's health in AWS (health-check path, port, security groups, and that a listener rule uses the target group)"))
			}
		}
	}
	return out
}

// stuckGates describes the load balancer gates of a pod that have been
// False for longer than StuckAfter, or never set although the pod started
// longer ago than that (the controller never registered it: the target
// group's health, or the controller itself, is the matter).
func (l *liveChecks) stuckGates(p *corev1.Pod, now time.Time) []string {
	var out []string
	for _, g := range p.Spec.ReadinessGates {
		if !strings.HasPrefix(string(g.ConditionType), GateConditionPrefix) {
			continue
		}
		var cond *corev1.PodCondition
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == g.ConditionType {
				cond = &p.Status.Conditions[i]
			}
		}
		switch {
		case cond == nil:
			started := p.CreationTimestamp.Time
			if p.Status.StartTime != nil {
				started = p.Status.StartTime.Time
			}
			if !started.IsZero() && now.Sub(started) > l.a.opts.StuckAfter {
				out = append(out, fmt.Sprintf("%s (condition %s never set, pod started %s ago)", p.Name, g.ConditionType, now.Sub(started).Round(time.Second)))
			}
		case cond.Status == corev1.ConditionFalse && !cond.LastTransitionTime.IsZero() && now.Sub(cond.LastTransitionTime.Time) > l.a.opts.StuckAfter:
			out = append(out, fmt.Sprintf("%s (%s for %s: %s)", p.Name, cond.Reason, now.Sub(cond.LastTransitionTime.Time).Round(time.Second), cond.Message))
		}
	}
	return out
}

func restartFix(w *inventory.Workload) string {
	switch w.Kind {
	case "Deployment", "StatefulSet", "DaemonSet":
		return fmt.Sprintf("restart them so they are re-created with the gate: kubectl rollout restart %s/%s -n %s", strings.ToLower(w.Kind), w.Name, w.Namespace)
	}
	return "delete and re-create the pods so they get the gate"
}

func listNames(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}

// webhookPolicy warns when pods can be created without the gate because the
// controller's pod webhook fails open.
func (l *liveChecks) webhookPolicy(m *check.Model) []finding.Finding {
	if l.webhookFails != "Ignore" {
		return nil
	}
	for _, e := range m.Exposures {
		if !e.GateCapable() {
			continue
		}
		ref := inventory.Meta{Ref: inventory.Ref{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration", Name: l.webhookName},
			Pos: inventoryPos(l.a.opts.Source)}
		return []finding.Finding{newFinding("ZD002", finding.Warning, ref,
			"The AWS Load Balancer Controller's pod webhook (mpod.elbv2.k8s.aws) has failurePolicy Ignore: pods created while the controller is down or slow get no readiness gate, silently, and the next rollout of their workload does not wait for the load balancer.",
			"set the webhook's failurePolicy to Fail (Helm value podMutatorWebhookConfig.failurePolicy) and narrow it with an objectSelector, as the controller's documentation recommends",
			finding.Fact("failurePolicy", "Ignore", timing.FromManifest, "MutatingWebhookConfiguration "+l.webhookName))}
	}
	return nil
}

// sliceSizes compares the live endpoint count of exposed Services with the
// scalability threshold (the replicas in the manifest may be scaled).
func (l *liveChecks) sliceSizes(m *check.Model) []finding.Finding {
	counts := map[string]int{}
	for _, s := range l.slices {
		svc := s.GetLabels()["kubernetes.io/service-name"]
		eps, _, _ := unstructured.NestedSlice(s.Object, "endpoints")
		counts[s.GetNamespace()+"/"+svc] += len(eps)
	}
	var out []finding.Finding
	done := map[*inventory.Service]bool{}
	for _, e := range m.Exposures {
		if e.Service == nil || done[e.Service] || e.TargetType.Value != timing.TargetIP || e.Service.Spec.ClusterIP == corev1.ClusterIPNone {
			continue
		}
		done[e.Service] = true
		// The most pods the manifests allow (an autoscaler's maxReplicas):
		// more live endpoints than that means the count changed since.
		var replicas int32
		for _, w := range e.Workloads {
			replicas += m.Graph.Replicas(w).Max
		}
		n := counts[e.Service.Namespace+"/"+e.Service.Name]
		if n > rules.EndpointsPerService && int(replicas) <= rules.EndpointsPerService {
			out = append(out, newFinding("ZD013", finding.Warning, e.Service.Meta,
				fmt.Sprintf("%s has %d live endpoints (its workloads ask for at most %d replicas: scaled since?), past the %d endpoints per Service threshold; kube-proxy on every node reprograms on every pod change and lags the rollout.", e.Service.Ref, n, replicas, rules.EndpointsPerService),
				"make the Service headless (clusterIP: None): ip targets do not need a cluster IP",
				finding.Fact("endpoints", int64(n), timing.FromManifest, "live EndpointSlices")))
		}
	}
	return out
}

func inventoryPos(source string) load.Position { return load.Position{File: source} }
