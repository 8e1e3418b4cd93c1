package testenv

import "strings"

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

// The pod stages are built so that at most one of them matches a pod at any
// time; kwok would pick among several at random.
const podStages = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-pod-start
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ["Pending"]
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["` + AnnotationStartDelay + `"]'
  next:
    event:
      type: Normal
      reason: Started
      message: Started containers
    statusTemplate: |
      {{ $now := Now }}
      {{ $root := . }}
      GATE_MESSAGE
      conditions:
      - type: PodReadyToStartContainers
        status: "True"
        lastProbeTime: null
        lastTransitionTime: {{ $now | Quote }}
      - type: Initialized
        status: "True"
        lastProbeTime: null
        lastTransitionTime: {{ $now | Quote }}
      - type: ContainersReady
        status: "True"
        lastProbeTime: null
        lastTransitionTime: {{ $now | Quote }}
      - type: Ready
        lastProbeTime: null
        lastTransitionTime: {{ $now | Quote }}
      {{ if $gateMsg }}
        status: "False"
        reason: ReadinessGatesNotReady
        message: {{ $gateMsg | Quote }}
      {{ else }}
        status: "True"
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        ready: true
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ with .spec.initContainers }}
      initContainerStatuses:
      {{ range . }}
      - name: {{ .name | Quote }}
        image: {{ .image | Quote }}
        imageID: {{ printf "kwok://%s" .image | Quote }}
        containerID: {{ printf "kwok://%s" .name | Quote }}
        restartCount: 0
      {{ if eq (.restartPolicy | default "") "Always" }}
        ready: true
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ else }}
        ready: true
        started: false
        state:
          terminated:
            exitCode: 0
            reason: Completed
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      {{ end }}
      {{ end }}
      {{ with NodeIPsWith .spec.nodeName }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-pod-gates-open
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ["Running"]
    - key: '` + readyStatus + `'
      operator: NotIn
      values: ["True"]
    - key: '` + gatesOpen + `'
      operator: In
      values: ["true"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      - type: Ready
        status: "True"
        reason: ""
        message: ""
        lastProbeTime: null
        lastTransitionTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-pod-gates-closed
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ["Running"]
    - key: '` + readyStale + `'
      operator: In
      values: ["true"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $root := . }}
      GATE_MESSAGE
      conditions:
      - type: Ready
        status: "False"
        reason: ReadinessGatesNotReady
        message: {{ $gateMsg | Quote }}
        lastProbeTime: null
      {{ $was := "" }}
      {{ range .status.conditions }}{{ if eq .type "Ready" }}{{ $was = .status }}{{ end }}{{ end }}
      {{ if ne $was "False" }}
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: Exists
    - key: '.metadata.finalizers'
      operator: DoesNotExist
    - key: '.metadata.annotations["` + AnnotationHonourGracePeriod + `"]'
      operator: NotIn
      values: ["true"]
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["` + AnnotationDeleteDelay + `"]'
  next:
    delete: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-pod-delete-at-deadline
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: Exists
    - key: '.metadata.finalizers'
      operator: DoesNotExist
    - key: '.metadata.annotations["` + AnnotationHonourGracePeriod + `"]'
      operator: In
      values: ["true"]
  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.deletionTimestamp | fromdateiso8601 + 1 | todateiso8601'
  next:
    delete: true
`

// nodeStages bring a fake node up (Ready, with addresses, capacity and node
// info) and refresh its conditions now and then; kwok renews the node's
// lease on its own.
const nodeStages = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-node-up
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.conditions[]? | select(.type == "Ready") | .status'
      operator: NotIn
      values: ["True"]
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - type: {{ .type | Quote }}
        status: {{ .status | Quote }}
        reason: {{ .reason | Quote }}
        message: {{ .message | Quote }}
        lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $now | Quote }}
      {{ end }}
      addresses:
      - type: InternalIP
        address: {{ NodeIP | Quote }}
      - type: Hostname
        address: {{ .metadata.name | Quote }}
      allocatable:
      {{ with .status.allocatable }}
      {{ YAML . 1 }}
      {{ else }}
        cpu: "1000"
        memory: 1Ti
        pods: "1000000"
      {{ end }}
      capacity:
      {{ with .status.capacity }}
      {{ YAML . 1 }}
      {{ else }}
        cpu: "1000"
        memory: 1Ti
        pods: "1000000"
      {{ end }}
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        osImage: zerodrop-testenv
        kernelVersion: {{ printf "kwok-%s" Version | Quote }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version | Quote }}
        kubeletVersion: KUBE_VERSION
        kubeProxyVersion: KUBE_VERSION
        machineID: ""
        systemUUID: ""
        bootID: ""
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: zerodrop-node-heartbeat
spec:
  resourceRef:
    apiGroup: v1
    kind: Node
  selector:
    matchExpressions:
    - key: '.status.conditions[]? | select(.type == "Ready") | .status'
      operator: In
      values: ["True"]
  delay:
    durationMilliseconds: 300000
    jitterDurationMilliseconds: 360000
  next:
    statusTemplate: |
      {{ $now := Now }}
      conditions:
      {{ range NodeConditions }}
      - type: {{ .type | Quote }}
        status: {{ .status | Quote }}
        reason: {{ .reason | Quote }}
        message: {{ .message | Quote }}
        lastHeartbeatTime: {{ $now | Quote }}
      {{ end }}
`

// kwokConfig returns the kwok configuration file: the stages above, with the
// API server's version reported as the nodes' kubelet version.
func kwokConfig(kubeVersion string) string {
	r := strings.NewReplacer(
		"GATE_MESSAGE", indent(gateMessage, "      "),
		"KUBE_VERSION", `"`+kubeVersion+`"`,
	)
	return strings.TrimSpace(r.Replace(podStages)) + "\n---\n" + strings.TrimSpace(r.Replace(nodeStages)) + "\n"
}

// indent indents every line after the first, for a fragment placed in a YAML
// block scalar at that indentation.
func indent(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}
