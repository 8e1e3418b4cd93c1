package fix

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/check"
	yaml "go.yaml.in/yaml/v3"
)

// spliced merges patch into the one document of in and returns the text
// fix would write, failing the test when the document had to be printed
// whole instead of edited in place.
func spliced(t *testing.T, in string, patch map[string]any) string {
	t.Helper()
	whole := false
	onWholeRender = func(*doc) { whole = true }
	defer func() { onWholeRender = nil }()
	docs := splitFile([]byte(in))
	if len(docs) != 1 {
		t.Fatalf("want one document, got %d", len(docs))
	}
	d := docs[0]
	n, err := d.parse()
	if err != nil {
		t.Fatal(err)
	}
	d.edits = &edits{}
	if err := mergeInto(n, patch, d.edits); err != nil {
		t.Fatal(err)
	}
	if err := d.render(false); err != nil {
		t.Fatal(err)
	}
	if whole {
		t.Fatalf("the document was printed whole:\n%s", d.body)
	}
	return string(d.body)
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
	docs := splitFile([]byte(in))
	d := docs[0]
	n, err := d.parse()
	if err != nil {
		t.Fatal(err)
	}
	d.edits = &edits{}
	if err := mergeInto(n, map[string]any{"metadata": map[string]any{"labels": map[string]any{"tier": "front"}}}, d.edits); err != nil {
		t.Fatal(err)
	}
	whole := false
	onWholeRender = func(*doc) { whole = true }
	defer func() { onWholeRender = nil }()
	if err := d.render(false); err != nil {
		t.Fatal(err)
	}
	if !whole {
		t.Fatalf("a flow mapping over two lines was edited in place:\n%s", d.body)
	}
	if !strings.Contains(string(d.body), "tier: front") || !strings.Contains(string(d.body), "app: web") {
		t.Errorf("whole-document print lost data:\n%s", d.body)
	}
}

// On a generated stream of the kinds and styles of bench/check.sh, every
// edited document is edited in place (TestMain checks each one trusted
// without parsing), and most without parsing it again.
func TestSpliceOnGeneratedStream(t *testing.T) {
	path, _ := generatedStream(t, 1500, 3)
	var mu sync.Mutex
	whole, trusted := 0, 0
	onWholeRender = func(*doc) { mu.Lock(); whole++; mu.Unlock() }
	verify := onUnverified
	onUnverified = func(out []byte, merged *yaml.Node) {
		verify(out, merged)
		mu.Lock()
		trusted++
		mu.Unlock()
	}
	defer func() { onWholeRender, onUnverified = nil, verify }()
	res, err := Run(context.Background(), Options{DryRun: true, Check: check.Options{Paths: []string{path}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) < 500 {
		t.Fatalf("only %d changes on the generated stream", len(res.Changes))
	}
	if whole > 0 {
		t.Errorf("%d documents were printed whole", whole)
	}
	if trusted == 0 {
		t.Errorf("no edit was trusted without parsing")
	}
	t.Logf("%d changes; %d document edits trusted without parsing", len(res.Changes), trusted)
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
			whole := false
			onWholeRender = func(*doc) { whole = true }
			defer func() { onWholeRender = nil }()
			d := splitFile([]byte(c.in))[0]
			n, err := d.parse()
			if err != nil {
				t.Fatal(err)
			}
			d.edits = &edits{}
			if err := mergeInto(n, c.patch, d.edits); err != nil {
				t.Fatal(err)
			}
			if err := d.render(true); err != nil {
				t.Fatal(err)
			}
			if whole {
				t.Fatalf("printed whole:\n%s", d.body)
			}
			if string(d.body) != c.want {
				t.Errorf("got\n%s\nwant\n%s", d.body, c.want)
			}
		})
	}
}
