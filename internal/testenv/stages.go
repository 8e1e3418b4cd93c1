package testenv

import (
	"embed"
	"strings"
)

// Pod annotations read by the kwok stages of the test environment. They stand
// in for what a real kubelet and a real container would take time to do.
const (
	// AnnotationStartDelay delays the pod's start (Pending to Running) by a
	// Go duration, for example "3s". Without it the pod starts at once.
	AnnotationStartDelay = "testenv.zerodrop.io/start-delay"

	// AnnotationDeleteDelay keeps a deleted pod Terminating for a Go
	// duration before it is removed, like a container that takes that long
	// to exit after SIGTERM. Without it a deleted pod goes away at once. The
	// delay is not capped by the grace period.
	AnnotationDeleteDelay = "testenv.zerodrop.io/delete-delay"

	// AnnotationHonourGracePeriod set to "true" keeps a deleted pod
	// Terminating for its whole termination grace period, like a container
	// that ignores SIGTERM and is killed at the deadline. deletionTimestamp
	// has whole seconds, so the pod goes up to a second after the deadline,
	// never before. It takes precedence over AnnotationDeleteDelay.
	AnnotationHonourGracePeriod = "testenv.zerodrop.io/honour-grace-period"
)

// Readiness of a running pod, as the kubelet computes it: with no readiness
// gates the pod is Ready when its containers are (at once, here); with gates it
// is Ready only while the condition of every gate exists and is "True".
// gatesOpen is a jq expression that yields true exactly then.
const gatesOpen = `([.spec.readinessGates[]?.conditionType] - [.status.conditions[]? | select(.status == "True") | .type]) | length == 0`

// readyStatus is the jq expression for the status of the pod's Ready condition.
const readyStatus = `.status.conditions[]? | select(.type == "Ready") | .status`

// gateMessage is a template fragment that sets $gateMsg to the kubelet's
// message for a pod whose readiness gates are not all "True" (one clause per
// such gate, joined by ", "), or to "" when they are. It expects $root to be
// the pod. gateMessageJQ computes the same string; the two must agree, or the
// stage that corrects the message would run again and again.
const gateMessage = `{{ $msgs := list }}
{{ range $g := $root.spec.readinessGates }}
{{ $st := "" }}
{{ range $c := $root.status.conditions }}{{ if and (eq $c.type $g.conditionType) (eq $st "") }}{{ $st = $c.status }}{{ end }}{{ end }}
{{ if eq $st "" }}{{ $msgs = append $msgs (printf "corresponding condition of pod readiness gate %q does not exist." $g.conditionType) }}
{{ else if ne $st "True" }}{{ $msgs = append $msgs (printf "the status of pod readiness gate %q is not \"True\", but %s" $g.conditionType $st) }}{{ end }}
{{ end }}
{{ $gateMsg := join ", " $msgs }}`

const gateMessageJQ = `([.status.conditions[]?] as $c | [.spec.readinessGates[]?.conditionType as $g | ([$c[] | select(.type == $g)] | first) as $m | if $m == null then "corresponding condition of pod readiness gate \"\($g)\" does not exist." elif $m.status != "True" then "the status of pod readiness gate \"\($g)\" is not \"True\", but \($m.status)" else empty end] | join(", "))`

// readyStale is a jq expression that yields true when the pod's gates are
// not all "True" but its Ready condition does not say so, or says so with
// another message than the kubelet's.
const readyStale = `(` + gatesOpen + `) == false and (([.status.conditions[]? | select(.type == "Ready")] | first) as $r | $r == null or $r.status != "False" or $r.reason != "ReadinessGatesNotReady" or $r.message != ` + gateMessageJQ + `)`

// The stages themselves are YAML files in kwok/, embedded: pods.yaml plays
// the kubelet for pods (start, readiness, termination), nodes.yaml brings
// fake nodes up (Ready, with addresses, capacity and node info) and
// refreshes their conditions now and then (kwok renews a node's lease on its
// own). The upper-case words in them stand for the annotations and the
// expressions above, each defined once here.
//
//go:embed kwok/pods.yaml kwok/nodes.yaml
var kwokStages embed.FS

// kwokConfig returns the kwok configuration file: the stages, with the API
// server's version reported as the nodes' kubelet version.
func kwokConfig(kubeVersion string) string {
	r := strings.NewReplacer(
		"ANNOTATION_START_DELAY", AnnotationStartDelay,
		"ANNOTATION_DELETE_DELAY", AnnotationDeleteDelay,
		"ANNOTATION_HONOUR_GRACE_PERIOD", AnnotationHonourGracePeriod,
		"READY_STATUS", readyStatus,
		"GATES_OPEN", gatesOpen,
		"READY_STALE", readyStale,
		"GATE_MESSAGE", indent(gateMessage, "      "),
		"KUBE_VERSION", `"`+kubeVersion+`"`,
	)
	return stageFile(r, "pods.yaml") + "\n---\n" + stageFile(r, "nodes.yaml") + "\n"
}

// stageFile is one embedded stage file with its words filled in, without
// its opening comment.
func stageFile(r *strings.Replacer, name string) string {
	b, err := kwokStages.ReadFile("kwok/" + name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	lines := strings.SplitAfter(string(b), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	return strings.TrimSpace(r.Replace(strings.Join(lines, "")))
}

// indent indents every line after the first, for a fragment placed in a YAML
// block scalar at that indentation.
func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}
