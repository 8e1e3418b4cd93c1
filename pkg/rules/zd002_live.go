package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zerodrop/zerodrop/pkg/exposure"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/timing"
	corev1 "k8s.io/api/core/v1"
)

// liveReadinessGate is what only a running cluster shows of ZD002: pods in a
// labelled namespace that lack the gate, gates stuck False, and a pod
// webhook that fails open.
func liveReadinessGate(p *Pass, c *Cluster) {
	liveGates(p, c)
	liveWebhookPolicy(p, c)
}

// liveGates finds pods in a labelled namespace that lack the controller's
// readiness gate (created before the label, the Service or the binding;
// only creation injects it), and gates stuck False.
func liveGates(p *Pass, c *Cluster) {
	seen := map[*inventory.Workload]bool{}
	for _, e := range p.Exposures {
		if !e.GateCapable() {
			continue
		}
		for _, w := range e.Workloads {
			ns := p.Graph.Namespace(w.Namespace)
			if seen[w] || ns == nil || ns.Labels[exposure.GateLabel] != "enabled" {
				continue
			}
			seen[w] = true
			var pods []*corev1.Pod
			if c.PodsOf != nil {
				pods = c.PodsOf(w)
			}
			var missing, stuck []string
			for _, pod := range pods {
				has := false
				for _, g := range pod.Spec.ReadinessGates {
					if strings.HasPrefix(string(g.ConditionType), GateConditionPrefix) {
						has = true
					}
				}
				if !has {
					missing = append(missing, pod.Name)
					continue
				}
				stuck = append(stuck, stuckGates(pod, c.Now, c.StuckAfter)...)
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				p.Report(&w.Meta, "", finding.Error,
					fmt.Sprintf("%d of %d pods of %s have no readiness gate although namespace %s is labelled: they were created before the label, the Service or the target group binding existed (only pod creation injects the gate), so a rollout will not wait for %s to register their replacements: %s.",
						len(missing), len(pods), w.Ref, w.Namespace, e.Describe(), listNames(missing)),
					restartFix(w),
					KeyPodsWithoutGate.Fact(int64(len(missing)), timing.FromManifest, "live pods"),
					KeyPods.Fact(int64(len(pods)), timing.FromManifest, "live pods"))
			}
			if len(stuck) > 0 {
				p.Report(&w.Meta, "", finding.Warning,
					fmt.Sprintf("The readiness gate of %d pods of %s has been False, or never set since the pod started, for more than %s: %s. The load balancer does not consider them healthy; a rollout waiting on them stalls until its progress deadline.",
						len(stuck), w.Ref, c.StuckAfter, listNames(stuck)),
					"check the target group's health in AWS (health-check path, port, security groups, and that a listener rule uses the target group)")
			}
		}
	}
}

// stuckGates describes the load balancer gates of a pod that have been
// False for longer than stuckAfter, or never set although the pod started
// longer ago than that (the controller never registered it: the target
// group's health, or the controller itself, is the matter).
func stuckGates(pod *corev1.Pod, now time.Time, stuckAfter time.Duration) []string {
	var out []string
	for _, g := range pod.Spec.ReadinessGates {
		if !strings.HasPrefix(string(g.ConditionType), GateConditionPrefix) {
			continue
		}
		var cond *corev1.PodCondition
		for i := range pod.Status.Conditions {
			if pod.Status.Conditions[i].Type == g.ConditionType {
				cond = &pod.Status.Conditions[i]
			}
		}
		switch {
		case cond == nil:
			started := pod.CreationTimestamp.Time
			if pod.Status.StartTime != nil {
				started = pod.Status.StartTime.Time
			}
			if !started.IsZero() && now.Sub(started) > stuckAfter {
				out = append(out, fmt.Sprintf("%s (condition %s never set, pod started %s ago)", pod.Name, g.ConditionType, now.Sub(started).Round(time.Second)))
			}
		case cond.Status == corev1.ConditionFalse && !cond.LastTransitionTime.IsZero() && now.Sub(cond.LastTransitionTime.Time) > stuckAfter:
			out = append(out, fmt.Sprintf("%s (%s for %s: %s)", pod.Name, cond.Reason, now.Sub(cond.LastTransitionTime.Time).Round(time.Second), cond.Message))
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

// liveWebhookPolicy warns when pods can be created without the gate because
// the controller's pod webhook fails open.
func liveWebhookPolicy(p *Pass, c *Cluster) {
	if c.PodWebhookFailurePolicy != "Ignore" {
		return
	}
	for _, e := range p.Exposures {
		if !e.GateCapable() {
			continue
		}
		obj := inventory.Meta{Ref: inventory.Ref{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration", Name: c.PodWebhook},
			Pos: load.Position{File: c.Source}}
		p.Report(&obj, "", finding.Warning,
			"The AWS Load Balancer Controller's pod webhook (mpod.elbv2.k8s.aws) has failurePolicy Ignore: pods created while the controller is down or slow get no readiness gate, silently, and the next rollout of their workload does not wait for the load balancer.",
			"set the webhook's failurePolicy to Fail (Helm value podMutatorWebhookConfig.failurePolicy) and narrow it with an objectSelector, as the controller's documentation recommends",
			KeyFailurePolicy.Fact("Ignore", timing.FromManifest, "MutatingWebhookConfiguration "+c.PodWebhook))
		return
	}
}
