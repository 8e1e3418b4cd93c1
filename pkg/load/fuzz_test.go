package load_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
)

var fuzzOptions = load.Options{MaxDocumentBytes: 1 << 16, MaxFileBytes: 1 << 20, MaxAliasExpansion: 10000}

// fuzzSeeds are hostile and odd inputs: each was a crash or a hang in some
// YAML reader, or exercises a corner of this one.
func fuzzSeeds() []string {
	laughs := "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	for i := 1; i <= 9; i++ {
		laughs += "a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" +
			strings.TrimSuffix(strings.Repeat("*a"+string(rune('0'+i-1))+", ", 9), ", ") + "]\n"
	}
	deployment := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 3\n" +
		"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n" +
		"      containers: [{name: a, image: nginx, ports: [{containerPort: 80}]}]\n"
	return []string{
		"",
		"---",
		"---\n---\n...\n",
		deployment,
		deployment + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n" + laughs,
		strings.Repeat("[", 10000),
		strings.Repeat("{a: ", 300) + strings.Repeat("}", 300),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\x00b\"}\n",
		"\x00\x01\x02\x03binary",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec: {replicas: 99999999999999999999999}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec: {replicas: -9223372036854775809}\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: !!binary aGVsbG8=, b: !!binary '***'}\n",
		"a: &m {<<: *m}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &d\n  <<: &l [*l]\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nx: &s [*s, *s]\n",
		"apiVersion: v1\nkind: List\nitems: [1, [2], null, \"s\", {apiVersion: v1, kind: Pod, metadata: {name: p}}]\n",
		"apiVersion: v1\nkind: List\nitems: {a: b}\n",
		"\ufeff{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"bom\"}}",
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}}]}",
		"apiVersion: v1\nkind: Pod\nmetadata: [name, p]\n",
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: [a, b]\n  annotations: 5\nspec: []\n",
		"apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec:\n  backend: {serviceName: s, servicePort: [1]}\n  rules: [{http: {paths: [{backend: {serviceName: 5}}]}}]\n",
		"apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: t}\nspec: {serviceRef: {name: [x], port: 99999999999}}\n",
		"apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec: {strategy: {canary: {maxSurge: {}}}, workloadRef: 5}\n",
		"apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {minAvailable: 1.5, selector: []}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: .inf, b: .nan, c: 1e999}\n",
		"%YAML 1.1\n---\napiVersion: v1\n",
		"--- !!map\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: t}\n",
		"--- |\n  text\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tab\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: 1, a: 2}\n",
		"? [complex, key]\n: value\n",
		"apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\n",
		"caf\xe9: \xff\xfe\n",
		"apiVersion: v1\nkind: Namespace\nmetadata: {name: n, namespace: ignored}\n",
		"*unknown\n",
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Lines end at LF; in a file without any (classic Mac), at CR.
		lines := bytes.Count(data, []byte("\n")) + 1
		if lines == 1 {
			lines = bytes.Count(data, []byte("\r")) + 1
		}
		res := load.Bytes("fuzz.yaml", data, fuzzOptions)
		for _, o := range res.Objects {
			if o.Pos.File != "fuzz.yaml" || o.Pos.Line < 1 || o.Pos.Line > lines {
				t.Fatalf("object at %v, input has %d lines", o.Pos, lines)
			}
			if o.Kind == "" || o.APIVersion == "" || o.Name == "" || o.Raw == nil {
				t.Fatalf("incomplete object %+v", o)
			}
			if err := jsonCompatible(o.Raw, 0); err != "" {
				t.Fatalf("Raw holds %s", err)
			}
			if _, err := json.Marshal(o.Raw); err != nil {
				t.Fatalf("Raw does not marshal: %v", err)
			}
		}
		for _, e := range res.Errors {
			if e.Pos.File != "fuzz.yaml" || e.Pos.Line < 0 || e.Pos.Line > lines || e.Message == "" {
				t.Fatalf("error %q at %v, input has %d lines", e.Message, e.Pos, lines)
			}
		}
		inv := inventory.Build(res.Objects, "")
		if len(inv.Objects) != len(res.Objects) {
			t.Fatalf("inventory kept %d of %d objects", len(inv.Objects), len(res.Objects))
		}

		// Typing while loading must give the same objects and errors.
		opts := fuzzOptions
		opts.Prepare = inventory.Preparer("")
		prepared := load.Bytes("fuzz.yaml", data, opts)
		inv2 := inventory.Build(prepared.Objects, "")
		if len(prepared.Objects) != len(res.Objects) || len(prepared.Errors) != len(res.Errors) ||
			len(inv2.Errors) != len(inv.Errors) || len(inv2.Workloads) != len(inv.Workloads) || inv2.Unknown != inv.Unknown {
			t.Fatalf("typing while loading differs: %d/%d objects, %d/%d load errors, %d/%d type errors",
				len(prepared.Objects), len(res.Objects), len(prepared.Errors), len(res.Errors), len(inv2.Errors), len(inv.Errors))
		}
	})
}

// jsonCompatible returns what is not a JSON value in v, or "".
func jsonCompatible(v any, depth int) string {
	if depth > 1000 {
		return "a value nested too deep"
	}
	switch x := v.(type) {
	case nil, string, bool, int64:
		return ""
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "a float with no JSON form"
		}
		return ""
	case map[string]any:
		for _, e := range x {
			if s := jsonCompatible(e, depth+1); s != "" {
				return s
			}
		}
		return ""
	case []any:
		for _, e := range x {
			if s := jsonCompatible(e, depth+1); s != "" {
				return s
			}
		}
		return ""
	}
	return fmt.Sprintf("a %T", v)
}
