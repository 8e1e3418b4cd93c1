package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/rules"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// GateConditionPrefix starts the condition type of the controller's
// readiness gates.
const GateConditionPrefix = rules.GateConditionPrefix

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

// findings runs after the rules, with the model the rules saw: every rule
// with a live check runs it over what the cluster shows.
func (l *liveChecks) findings(m *check.Model) []finding.Finding {
	c := &rules.Cluster{Source: l.a.opts.Source, Now: l.a.opts.Now(), StuckAfter: l.a.opts.StuckAfter,
		PodsOf: l.podsOf, Endpoints: l.endpoints(),
		PodWebhook: l.webhookName, PodWebhookFailurePolicy: l.webhookFails}
	var out []finding.Finding
	p := m.Pass.With(func(f finding.Finding) { out = append(out, f) })
	for _, r := range rules.All() {
		p.RunLive(r, c)
	}
	return out
}

// endpoints counts the live endpoints of each Service, keyed namespace/name.
func (l *liveChecks) endpoints() map[string]int {
	counts := map[string]int{}
	for _, s := range l.slices {
		svc := s.GetLabels()["kubernetes.io/service-name"]
		eps, _, _ := unstructured.NestedSlice(s.Object, "endpoints")
		counts[s.GetNamespace()+"/"+svc] += len(eps)
	}
	return counts
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
