package rules

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
	"github.com/zerodrop/zerodrop/pkg/podspec"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Patch builders. Each returns a strategic-merge patch of one object; the fix
// engine merges it into the user's file (containers by name) or writes it as
// a kustomize patch.

// podSpecPatch sets fields of the pod spec of w.
func podSpecPatch(w *inventory.Workload, fields map[string]any, what string) *finding.Patch {
	return &finding.Patch{Target: w.Ref, Merge: atPodSpec(w, fields), What: what}
}

// containerPatch sets fields of one container of w, in the list it is in
// (initContainers for a native sidecar).
func containerPatch(w *inventory.Workload, container string, fields map[string]any, what string) *finding.Patch {
	c := map[string]any{"name": container}
	for k, v := range fields {
		c[k] = v
	}
	list := podspec.ContainerList(&w.Template.Spec, container)
	return &finding.Patch{Target: w.Ref, Merge: atPodSpec(w, map[string]any{list: []any{c}}), What: what}
}

// atPodSpec nests fields at the pod spec of w: spec for a Pod,
// spec.template.spec for everything else.
func atPodSpec(w *inventory.Workload, fields map[string]any) map[string]any {
	if w.Kind == "Pod" {
		return map[string]any{"spec": fields}
	}
	return map[string]any{"spec": map[string]any{"template": map[string]any{"spec": fields}}}
}

// annotationPatch sets annotations on an object.
func annotationPatch(m *inventory.Meta, annotations map[string]string, what string) *finding.Patch {
	a := map[string]any{}
	for k, v := range annotations {
		a[k] = v
	}
	return &finding.Patch{Target: m.Ref, Merge: map[string]any{"metadata": map[string]any{"annotations": a}}, What: what}
}

// specPatch sets fields under spec of an object.
func specPatch(m *inventory.Meta, fields map[string]any, what string) *finding.Patch {
	return &finding.Patch{Target: m.Ref, Merge: map[string]any{"spec": fields}, What: what}
}

// preStopHandler is the hook zerodrop writes: the kubelet's own sleep where
// the cluster has it, else exec of the sleep binary; never a shell.
func preStopHandler(kv kubeversion.Version, secs int64) map[string]any {
	if nativeSleepAvailable(kv) {
		return map[string]any{"sleep": map[string]any{"seconds": secs}}
	}
	return map[string]any{"exec": map[string]any{"command": []any{"sleep", strconv.FormatInt(secs, 10)}}}
}

// replacing marks a map patch as replacing what is there instead of merging.
func replacing(m map[string]any) map[string]any {
	out := map[string]any{"$patch": "replace"}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// toMap converts a typed API value into patch form.
func toMap(v any) map[string]any {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
	if err != nil {
		return nil
	}
	return m
}

// podLabelsSelector is the selector a new PDB or spread constraint uses:
// the workload's own matchLabels, else its pod labels.
func podLabelsSelector(w *inventory.Workload) map[string]any {
	labels := map[string]any{}
	if w.Selector != nil && len(w.Selector.MatchLabels) > 0 && len(w.Selector.MatchExpressions) == 0 {
		for k, v := range w.Selector.MatchLabels {
			labels[k] = v
		}
	} else {
		for _, l := range w.Template.Labels {
			labels[l.Key] = l.Value
		}
	}
	return map[string]any{"matchLabels": labels}
}

// servedPort is the port a probe on container c should check for the given
// Service ports: the port name when the Service targets it by name.
func servedPort(c *inventory.Container, ports []*corev1.ServicePort) any {
	for _, sp := range ports {
		if cp := podspec.PortFor(c, sp); cp != nil {
			if podspec.TargetPort(sp).Type == intstr.String {
				return cp.Name
			}
			return int64(cp.ContainerPort)
		}
	}
	if len(c.Ports) > 0 {
		if c.Ports[0].Name != "" {
			return c.Ports[0].Name
		}
		return int64(c.Ports[0].ContainerPort)
	}
	return nil
}

// preStopPatch sets container c's preStop delay to secs, keeping the kind of
// hook the user chose where it is a plain sleep. It returns nil when the hook
// does more than sleep: that is the user's code, not zerodrop's to rewrite.
func preStopPatch(kv kubeversion.Version, w *inventory.Workload, c *inventory.Container, secs int64) *finding.Patch {
	ps := podspec.ReadPreStop(c)
	what := fmt.Sprintf("container %s: preStop sleeps %ds", c.Name, secs)
	set := func(h map[string]any) *finding.Patch {
		return containerPatch(w, c.Name, map[string]any{"lifecycle": map[string]any{"preStop": h}}, what)
	}
	switch {
	case !ps.Present:
		return set(preStopHandler(kv, secs))
	case ps.Handler == "sleep" && nativeSleepAvailable(kv):
		return set(map[string]any{"sleep": map[string]any{"seconds": secs}})
	case ps.Handler == "sleep":
		return set(replacing(preStopHandler(kv, secs)))
	case ps.Handler == "exec" && !ps.Shell && ps.Known:
		cmd := c.Lifecycle.PreStop.Exec.Command
		return set(map[string]any{"exec": map[string]any{"command": []any{cmd[0], strconv.FormatInt(secs, 10)}}})
	case ps.Handler == "exec" && ps.Shell && ps.Known && pureSleep(c.Lifecycle.PreStop.Exec.Command):
		return set(replacing(preStopHandler(kv, secs)))
	}
	return nil
}

// pureSleep reports a shell hook whose whole script is "sleep N".
func pureSleep(argv []string) bool {
	script, ok := podspec.ShellScript(argv)
	if !ok {
		return false
	}
	f := strings.Fields(script)
	return len(f) == 2 && path.Base(f[0]) == "sleep"
}
