package yamledit

import (
	"strings"
	"testing"
)

// spliced merges patch into the document in and returns the text Render
// writes, failing the test when the document had to be printed whole
// instead of edited in place, or when an edit trusted without parsing does
// not hold the merged tree.
func spliced(t *testing.T, in string, patch map[string]any) string {
	t.Helper()
	out, how := render(t, in, patch, false)
	if how == Whole {
		t.Fatalf("the document was printed whole:\n%s", out)
	}
	return string(out)
}

// render parses in, merges patch and renders it.
func render(t *testing.T, in string, patch map[string]any, asJSON bool) ([]byte, How) {
	t.Helper()
	d, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Merge(patch); err != nil {
		t.Fatal(err)
	}
	out, how, err := Render(d, asJSON)
	if err != nil {
		t.Fatal(err)
	}
	if how == Trusted && !holds(out, d.Tree) {
		t.Fatalf("an edit written without checking does not hold the tree:\n%s", out)
	}
	return out, how
}

func TestSpliceKeepsEveryUntouchedByte(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		patch map[string]any
		want  string
	}{{
		name: "four-space indentation, blank lines and comment spacing stay",
		in: `apiVersion: apps/v1
kind: Deployment
metadata:
    name: web      # the web tier

spec:
    template:
        spec:
            containers:
              - name: web
                image: "nginx:1.27"

                # ports: none yet
            dnsPolicy: ClusterFirst
`,
		patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"terminationGracePeriodSeconds": int64(60),
			"containers":                    []any{map[string]any{"name": "web", "lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": int64(15)}}}}},
		}}}},
		want: `apiVersion: apps/v1
kind: Deployment
metadata:
    name: web      # the web tier

spec:
    template:
        spec:
            containers:
              - name: web
                image: "nginx:1.27"
                lifecycle:
                    preStop:
                        sleep:
                            seconds: 15

                # ports: none yet
            dnsPolicy: ClusterFirst
            terminationGracePeriodSeconds: 60
`,
	}, {
		name: "new lists put the dash where the document does, four-space steps with the dash two in",
		in: `kind: Deployment
spec:
    template:
        spec:
            containers:
              - name: web
`,
		patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"topologySpreadConstraints": []any{map[string]any{"maxSkew": int64(1), "topologyKey": "zone"}},
		}}}},
		want: `kind: Deployment
spec:
    template:
        spec:
            containers:
              - name: web
            topologySpreadConstraints:
              - maxSkew: 1
                topologyKey: zone
`,
	}, {
		name: "a scalar is replaced in place, its comment kept",
		in: `kind: Deployment
spec:
  minReadySeconds: 0   # fast
  strategy:
    rollingUpdate: {maxSurge: '50%', maxUnavailable: "1"}
`,
		patch: map[string]any{"spec": map[string]any{"minReadySeconds": int64(20),
			"strategy": map[string]any{"rollingUpdate": map[string]any{"maxUnavailable": int64(0)}}}},
		want: `kind: Deployment
spec:
  minReadySeconds: 20   # fast
  strategy:
    rollingUpdate: {maxSurge: '50%', maxUnavailable: 0}
`,
	}, {
		name: "a quoted annotation value is replaced, others kept",
		in: `kind: Service
metadata:
  annotations:
    a: "x"  # keep
    attrs: 'deregistration_delay.timeout_seconds=300,preserve_client_ip.enabled=true'
    z: last
`,
		patch: map[string]any{"metadata": map[string]any{"annotations": map[string]any{
			"attrs": "deregistration_delay.timeout_seconds=30,preserve_client_ip.enabled=true"}}},
		want: `kind: Service
metadata:
  annotations:
    a: "x"  # keep
    attrs: 'deregistration_delay.timeout_seconds=30,preserve_client_ip.enabled=true'
    z: last
`,
	}, {
		name: "a block value is replaced whole, the comment lines after it stay",
		in: `kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: web
        lifecycle:
          preStop:
            exec:
              command: ["/bin/sh", "-c", "sleep 5"]
          # postStart: later
        image: web
`,
		patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "web", "lifecycle": map[string]any{"preStop": map[string]any{
				"$patch": "replace", "sleep": map[string]any{"seconds": int64(20)}}}}}}}}},
		want: `kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: web
        lifecycle:
          preStop:
            sleep:
              seconds: 20
          # postStart: later
        image: web
`,
	}, {
		name: "a key is added to a flow mapping",
		in: `kind: Service
metadata:
  name: web
  annotations: {a: b}
spec: {}
`,
		patch: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"c": "true"}}},
		want: `kind: Service
metadata:
  name: web
  annotations: {a: b, c: "true"}
spec: {}
`,
	}, {
		name: "an empty value becomes a block mapping",
		in: `kind: Service
metadata:
  name: web
  annotations:
spec:
  type: LoadBalancer
`,
		patch: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"k": "v"}}},
		want: `kind: Service
metadata:
  name: web
  annotations:
    k: v
spec:
  type: LoadBalancer
`,
	}, {
		name:  "an empty scalar value is filled in after its colon",
		in:    "kind: Service\nmetadata:\n  name:   # to do\n  namespace: shop\n",
		patch: map[string]any{"metadata": map[string]any{"name": "web"}},
		want:  "kind: Service\nmetadata:\n  name: web   # to do\n  namespace: shop\n",
	}, {
		name:  "a byte order mark does not move the first line's columns",
		in:    "\ufeffapiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n",
		patch: map[string]any{"apiVersion": "policy/v1"},
		want:  "\ufeffapiVersion: policy/v1\nkind: PodDisruptionBudget\n",
	}, {
		name: "a key is deleted and another added",
		in: `kind: PodDisruptionBudget
spec:
  minAvailable: 3  # all of them
  selector:
    matchLabels: {app: web}
`,
		patch: map[string]any{"spec": map[string]any{"minAvailable": nil, "maxUnavailable": int64(1)}},
		want: `kind: PodDisruptionBudget
spec:
  selector:
    matchLabels: {app: web}
  maxUnavailable: 1
`,
	}, {
		name: "CRLF line ends stay CRLF, and a last line without a break is handled",
		in:   "kind: Service\r\nmetadata:\r\n  name: web\r\n  labels:\r\n    app: web",
		patch: map[string]any{"metadata": map[string]any{"annotations": map[string]any{"k": "v"},
			"labels": map[string]any{"tier": "front"}}},
		want: "kind: Service\r\nmetadata:\r\n  name: web\r\n  labels:\r\n    app: web\r\n    tier: front\r\n  annotations:\r\n    k: v\r\n",
	}, {
		name: "a new list item follows the last one, lists keep their dash column",
		in: `kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: web
          image: web
      volumes: []
`,
		patch: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers":                []any{map[string]any{"name": "sidecar", "image": "proxy"}},
			"topologySpreadConstraints": []any{map[string]any{"maxSkew": int64(1), "topologyKey": "zone"}},
		}}}},
		want: `kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: web
          image: web
        - image: proxy
          name: sidecar
      volumes: []
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: zone
`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := spliced(t, c.in, c.patch)
			if got != c.want {
				t.Errorf("got\n%s\nwant\n%s", show(got), show(c.want))
			}
		})
	}
}

func show(s string) string { return strings.ReplaceAll(s, "\r", `\r`) }

// When a change cannot be placed, the document is printed whole, and the
// data is still right.
func TestSpliceFallsBackToWholeDocument(t *testing.T) {
	in := "kind: Service\nmetadata: {name: web,\n  labels: {app: web}}\n"
	out, how := render(t, in, map[string]any{"metadata": map[string]any{"labels": map[string]any{"tier": "front"}}}, false)
	if how != Whole {
		t.Fatalf("a flow mapping over two lines was edited in place:\n%s", out)
	}
	if !strings.Contains(string(out), "tier: front") || !strings.Contains(string(out), "app: web") {
		t.Errorf("whole-document print lost data:\n%s", out)
	}
}

func TestSimpleLine(t *testing.T) {
	simple := []string{
		"", "   ", "# c", "  key: value", "key:", "  - name: web", "- - x", "-", "  - ",
		`image: "nginx:1.27"  # pinned`, `k: 'it is'`, `command: ["/bin/sh", "-c", "sleep 5"]`,
		"selector: {app: web}", "labels: {}", "x: a # b", "service.beta.kubernetes.io/aws-load-balancer-type: external",
	}
	for _, l := range simple {
		if !simpleLine([]byte(l)) {
			t.Errorf("%q should be simple", l)
		}
	}
	hard := []string{
		"script: |", "script: >-", "a: &anchor x", "b: *anchor", "c: !!str 5", "\tkey: v",
		`d: "line one`, `e: "with \"escape\""`, `f: 'it''s'`, `g: {a: "b`, "h: [a, b", `"quoted key": v`,
		"? complex", "i: [a, &x b]", "0 0: >", "a key: x", `j: ["a", 'b''c']`, "k: {a: b} x",
	}
	for _, l := range hard {
		if simpleLine([]byte(l)) {
			t.Errorf("%q should not be simple", l)
		}
	}
}

func TestSpliceJSONKeepsLayout(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		patch map[string]any
		want  string
	}{{
		name: "a new member gets a line of its own in an object that spans lines",
		in: `{
    "kind": "Service",
    "metadata": {
        "name": "web",
        "annotations": {"a": "b"}
    },
    "spec": {"ports": [{"port": 80}]}
}
`,
		patch: map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"},
			"annotations": map[string]any{"c": "d"}}},
		want: `{
    "kind": "Service",
    "metadata": {
        "name": "web",
        "annotations": {"a": "b", "c": "d"},
        "labels": {"app": "web"}
    },
    "spec": {"ports": [{"port": 80}]}
}
`,
	}, {
		name:  "a value is replaced, an empty object filled, a list item added",
		in:    `{"kind": "Deployment", "spec": {"minReadySeconds": 0, "strategy": {}, "template": {"spec": {"containers": [{"name": "a"}]}}}}`,
		patch: map[string]any{"spec": map[string]any{"minReadySeconds": int64(20), "strategy": map[string]any{"type": "RollingUpdate"}, "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "b", "args": []any{"x", "y \"q\""}}}}}}},
		want:  `{"kind": "Deployment", "spec": {"minReadySeconds": 20, "strategy": {"type": "RollingUpdate"}, "template": {"spec": {"containers": [{"name": "a"}, {"args": ["x", "y \"q\""], "name": "b"}]}}}}`,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, how := render(t, c.in, c.patch, true)
			if how == Whole {
				t.Fatalf("printed whole:\n%s", out)
			}
			if string(out) != c.want {
				t.Errorf("got\n%s\nwant\n%s", out, c.want)
			}
		})
	}
}
