package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "sigs.k8s.io/json"
)

// twoPortServiceYAML sends port 80 to the web container and port 81 to
// the api container, both behind an ALB (ingressYAML and apiIngressYAML).
const twoPortServiceYAML = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: api, port: 81, targetPort: api}
`

const apiIngressYAML = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
  annotations: {alb.ingress.kubernetes.io/target-type: ip}
spec:
  ingressClassName: alb
  defaultBackend: {service: {name: web, port: {number: 81}}}
`

// setContainer sets a field of container i of a workload's pod template.
func setContainer(u *unstructured.Unstructured, i int, value any, fields ...string) {
	cs, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	c := cs[i].(map[string]any)
	_ = unstructured.SetNestedField(c, value, fields...)
	_ = unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
}

func setGrace(u *unstructured.Unstructured, seconds int64) {
	_ = unstructured.SetNestedField(u.Object, seconds, "spec", "template", "spec", "terminationGracePeriodSeconds")
}

func sleepFor(seconds int64) map[string]any {
	return map[string]any{"sleep": map[string]any{"seconds": seconds}}
}

// The mutating webhook answers the same admission with the same bytes, its
// operations in path order, and the patch gives the object with the
// preStop and grace period the rules ask for (25 s and 55 s: the timing
// package's figures for an ALB) and nothing else changed. The patch was
// built from Go map iterations before: the grace period's operation came
// before the preStop's in some answers and after it in others.
func TestMutationPatchIsStable(t *testing.T) {
	multi := `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: api
        image: example/api:1
        ports: [{name: api, containerPort: 9000}]
        lifecycle:
          postStart: {exec: {command: ["true"]}}
        readinessProbe: {httpGet: {path: /ready, port: api}}
      - name: web
        image: example/web:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: http}}
`
	sidecar := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: envoy
        image: example/envoy:1
        ports: [{name: admin, containerPort: 9901}]
      - name: web
        image: example/web:1
        ports: [{name: http, containerPort: 8080}]
        lifecycle:
          postStart: {exec: {command: ["true"]}}
          preStop: {exec: {command: ["sleep", "2"]}}
        readinessProbe: {httpGet: {path: /ready, port: http}}
`
	oneFront := []string{namespaceYAML, serviceYAML, ingressYAML, pdbYAML}
	twoFronts := []string{namespaceYAML, twoPortServiceYAML, ingressYAML, apiIngressYAML, pdbYAML}
	for _, tc := range []struct {
		name    string
		cluster []string
		object  *unstructured.Unstructured
		want    func(*unstructured.Unstructured)
		// patch, when set, is the whole answer's patch.
		patch string
	}{{
		name:    "no preStop, short grace period",
		cluster: oneFront,
		object:  obj(t, deploymentYAML),
		want: func(u *unstructured.Unstructured) {
			setContainer(u, 0, sleepFor(25), "lifecycle", "preStop")
			setGrace(u, 55)
		},
		patch: `[{"op":"add","path":"/spec/template/spec/containers/0/lifecycle","value":{"preStop":{"sleep":{"seconds":25}}}},` +
			`{"op":"replace","path":"/spec/template/spec/terminationGracePeriodSeconds","value":55}]`,
	}, {
		name:    "grace period left out",
		cluster: oneFront,
		object: edit(obj(t, deploymentYAML), func(u *unstructured.Unstructured) {
			unstructured.RemoveNestedField(u.Object, "spec", "template", "spec", "terminationGracePeriodSeconds")
			setContainer(u, 0, sleepFor(40), "lifecycle", "preStop")
		}),
		want: func(u *unstructured.Unstructured) { setGrace(u, 70) },
	}, {
		name:    "two containers behind two fronts, postStart kept",
		cluster: twoFronts,
		object:  obj(t, multi),
		want: func(u *unstructured.Unstructured) {
			setContainer(u, 0, sleepFor(25), "lifecycle", "preStop")
			setContainer(u, 1, sleepFor(25), "lifecycle", "preStop")
			setGrace(u, 55)
		},
		patch: `[{"op":"add","path":"/spec/template/spec/containers/0/lifecycle/preStop","value":{"sleep":{"seconds":25}}},` +
			`{"op":"add","path":"/spec/template/spec/containers/1/lifecycle","value":{"preStop":{"sleep":{"seconds":25}}}},` +
			`{"op":"replace","path":"/spec/template/spec/terminationGracePeriodSeconds","value":55}]`,
	}, {
		name:    "exec preStop too short, beside a sidecar",
		cluster: oneFront,
		object:  obj(t, sidecar),
		want: func(u *unstructured.Unstructured) {
			setContainer(u, 1, []any{"sleep", "25"}, "lifecycle", "preStop", "exec", "command")
			setGrace(u, 55)
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var objs []*unstructured.Unstructured
			for _, y := range tc.cluster {
				objs = append(objs, obj(t, y))
			}
			src := cluster(t, objs...)
			want := edit(tc.object, tc.want)
			var first []byte
			for i := 0; i < 100; i++ {
				req := request(t, admissionv1.Create, tc.object, nil)
				resp := NewMutator(src, testOptions()).Handle(context.Background(), req)
				if !resp.Allowed || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
					t.Fatalf("allowed %v, patch type %v, result %+v", resp.Allowed, resp.PatchType, resp.Result)
				}
				got, err := json.Marshal(resp.Patches)
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = got
					if tc.patch != "" && string(got) != tc.patch {
						t.Errorf("patch\n%s\nwant\n%s", got, tc.patch)
					}
					p, err := jsonpatch.DecodePatch(got)
					if err != nil {
						t.Fatal(err)
					}
					patched, err := p.Apply(req.Object.Raw)
					if err != nil {
						t.Fatalf("applying %s: %v", got, err)
					}
					if g, w := jsonValue(t, patched), jsonValue(t, mustJSON(t, want.Object)); !reflect.DeepEqual(g, w) {
						t.Errorf("patched object\n%s\nwant\n%s", patched, mustJSON(t, want.Object))
					}
					continue
				}
				if !bytes.Equal(got, first) {
					t.Fatalf("admission %d patched\n%s\nthe first\n%s", i+1, got, first)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonValue(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// jsonPatchCases are pairs of documents: the patch between them must turn
// the first into the second.
var jsonPatchCases = []struct{ a, b, patch string }{
	{`{"a":1}`, `{"a":1}`, `null`},
	{`{"b":1,"a":1,"c":{"z":1,"y":2}}`, `{"c":{"y":3,"x":true},"a":2,"d":null}`,
		`[{"op":"replace","path":"/a","value":2},{"op":"remove","path":"/b"},{"op":"add","path":"/c/x","value":true},{"op":"replace","path":"/c/y","value":3},{"op":"remove","path":"/c/z"},{"op":"add","path":"/d","value":null}]`},
	// Arrays: removals from the end, additions, then changed items.
	{`{"l":[1,2,3,4,5,6,7,8,9,10,11,12]}`, `{"l":[0,2,3,4,5,6,7,8,9,10]}`,
		`[{"op":"remove","path":"/l/11"},{"op":"remove","path":"/l/10"},{"op":"replace","path":"/l/0","value":0}]`},
	{`{"l":[1]}`, `{"l":[1,2,3,4,5,6,7,8,9,10,11]}`, ""},
	{`{"l":[{"n":"a","v":1},{"n":"b"}]}`, `{"l":[{"n":"a","v":2},{"v":1,"n":"b"}]}`,
		`[{"op":"replace","path":"/l/0/v","value":2},{"op":"add","path":"/l/1/v","value":1}]`},
	// Names with a slash or a tilde (annotations have them).
	{`{"m":{"a/b":"x","c~d":"y"}}`, `{"m":{"a/b":"z","c~d":"y","e/~":1}}`,
		`[{"op":"replace","path":"/m/a~1b","value":"z"},{"op":"add","path":"/m/e~1~0","value":1}]`},
	// A type that changes is replaced whole; null is a value.
	{`{"a":{"x":1},"b":[1],"c":null,"d":"1"}`, `{"a":[1],"b":{"x":1},"c":0,"d":1}`, ""},
	// An integer float64 would round is copied as written.
	{`{"a":1}`, `{"a":9007199254740993}`, `[{"op":"replace","path":"/a","value":9007199254740993}]`},
}

func TestJSONPatch(t *testing.T) {
	for _, tc := range jsonPatchCases {
		ops, err := jsonPatch([]byte(tc.a), []byte(tc.b))
		if err != nil {
			t.Fatalf("%s → %s: %v", tc.a, tc.b, err)
		}
		got := mustJSON(t, ops)
		if tc.patch != "" && string(got) != tc.patch {
			t.Errorf("%s → %s:\npatch %s\nwant  %s", tc.a, tc.b, got, tc.patch)
		}
		checkPatch(t, []byte(tc.a), []byte(tc.b), got)
	}
	for _, bad := range [][2]string{{`{"a":`, `{}`}, {`{}`, `{"a":1} x`}} {
		if _, err := jsonPatch([]byte(bad[0]), []byte(bad[1])); err == nil {
			t.Errorf("%s → %s: no error", bad[0], bad[1])
		}
	}
}

// checkPatch applies patch to a and compares the result with b.
func checkPatch(t testing.TB, a, b, patch []byte) {
	t.Helper()
	if string(patch) == "null" {
		patch = []byte("[]")
	}
	p, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		t.Fatalf("%s: %v", patch, err)
	}
	got, err := p.ApplyWithOptions(a, &jsonpatch.ApplyOptions{})
	if err != nil {
		t.Fatalf("%s → %s: applying %s: %v", a, b, patch, err)
	}
	if !reflect.DeepEqual(jsonValue(t, got), jsonValue(t, b)) {
		t.Fatalf("%s → %s: the patch %s gives %s", a, b, patch, got)
	}
}

// Oracle: for any two JSON objects, the patch applied to the first gives
// the second, and the same two documents give the same patch.
func FuzzJSONPatch(f *testing.F) {
	for _, tc := range jsonPatchCases {
		f.Add([]byte(tc.a), []byte(tc.b))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var am, bm map[string]any
		if json.Unmarshal(a, &am) != nil || json.Unmarshal(b, &bm) != nil || am == nil || bm == nil {
			t.Skip()
		}
		// evanphx/json-patch, the oracle here and the API server's patcher,
		// keeps a name given twice in its own way, and reads a pointer
		// starting "//" as if the first name were absent. The API server
		// sends objects it encoded itself: no name twice, and no empty
		// top-level name.
		if duplicateNames(a) || duplicateNames(b) {
			t.Skip()
		}
		if _, ok := am[""]; ok {
			t.Skip()
		}
		if _, ok := bm[""]; ok {
			t.Skip()
		}
		ops, err := jsonPatch(a, b)
		if err != nil {
			t.Fatalf("%s → %s: %v", a, b, err)
		}
		patch := mustJSON(t, ops)
		checkPatch(t, a, b, patch)
		again, _ := jsonPatch(a, b)
		if !bytes.Equal(mustJSON(t, again), patch) {
			t.Fatalf("%s → %s: two patches\n%s\n%s", a, b, patch, mustJSON(t, again))
		}
	})
}

// duplicateNames reports whether a JSON object names a member twice.
func duplicateNames(data []byte) bool {
	var v any
	strict, err := kjson.UnmarshalStrict(data, &v, kjson.DisallowDuplicateFields)
	return err != nil || len(strict) > 0
}
