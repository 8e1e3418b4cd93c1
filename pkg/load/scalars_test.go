package load

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

// valueOf loads a ConfigMap whose data.v is written as src and returns the
// converted value.
func valueOf(t *testing.T, src string) any {
	t.Helper()
	objs := mustObjects(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  v: "+src+"\n", 1)
	data, ok := objs[0].Raw["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is %T", objs[0].Raw["data"])
	}
	return data["v"]
}

func TestScalars(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{"42", int64(42)},
		{"-7", int64(-7)},
		{"+7", int64(7)},
		{"0", int64(0)},
		{"1_000", int64(1000)},
		{"0x1F", int64(31)},
		{"0o17", int64(15)},
		{"0755", int64(493)},
		{"0b101", int64(5)},
		{"9223372036854775807", int64(math.MaxInt64)},
		{"12345678901234567890", 12345678901234567890.0},
		{"2.5", 2.5},
		{"1.0", 1.0},
		{"1.10", 1.1},
		{".5", 0.5},
		{"1e3", 1000.0},
		{"-2.5e-3", -0.0025},
		{"true", true},
		{"false", false},
		{"True", true},
		{"FALSE", false},
		// YAML 1.1 booleans, as sigs.k8s.io/yaml (and so kubectl) reads them.
		{"yes", true},
		{"Yes", true},
		{"YES", true},
		{"no", false},
		{"on", true},
		{"off", false},
		{"y", true},
		{"n", false},
		{"null", nil},
		{"~", nil},
		{"", nil},
		{"Null", nil},
		{`"42"`, "42"},
		{`'3.5'`, "3.5"},
		{`"true"`, "true"},
		{`"yes"`, "yes"},
		{`'on'`, "on"},
		{`"null"`, "null"},
		{`""`, ""},
		{"!!str 42", "42"},
		{"!!str yes", "yes"},
		{`!!int "12"`, int64(12)},
		{"!!float 3", 3.0},
		{"!!bool yes", true},
		{"!!null ''", nil},
		{"|\n    literal yes\n", "literal yes\n"},
		{">-\n    on\n", "on"},
		{"yesterday", "yesterday"},
		{"2024-01-15", "2024-01-15"},
		{"2024-01-15T10:00:00Z", "2024-01-15T10:00:00Z"},
		{"1.2.3", "1.2.3"},
		{"1:20", "1:20"},
		{"25%", "25%"},
		{"250m", "250m"},
		{"!custom tagged", "tagged"},
		{"!!binary aGVsbG8=", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := valueOf(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: got %#v (%T), want %#v (%T)", tt.src, got, got, tt.want, tt.want)
			}
		})
	}
}

func TestScalarsWithoutJSONForm(t *testing.T) {
	for _, src := range []string{".inf", "-.Inf", ".NaN", "!!binary '!!!not base64'"} {
		t.Run(src, func(t *testing.T) {
			res := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  v: "+src+"\n")
			if len(res.Objects) != 0 {
				t.Errorf("%s loaded as %#v", src, res.Objects[0].Raw["data"])
			}
			e := errorContaining(t, res.Errors, "test.yaml:5")
			if !strings.Contains(e.Message, "JSON") && !strings.Contains(e.Message, "base64") {
				t.Errorf("unclear message: %s", e.Message)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	objs := mustObjects(t, `apiVersion: v1
kind: ConfigMap
metadata: {name: x}
data:
  plain: a
  "quoted key": b
  on: c
  no: d
  12: e
  0x10: f
  1.5: g
  .Inf: h
  2024-01-15: i
`, 1)
	want := map[string]any{"plain": "a", "quoted key": "b", "true": "c", "false": "d", "12": "e", "16": "f", "1.5": "g",
		".inf": "h", "2024-01-15": "i"}
	if got := objs[0].Raw["data"]; !reflect.DeepEqual(got, want) {
		t.Errorf("keys read as %#v, want %#v", got, want)
	}
	for _, src := range []string{"~: x", "null: x", "[a, b]: x", "{a: b}: x"} {
		res := parse(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  "+src+"\n")
		if len(res.Objects) != 0 || len(res.Errors) != 1 {
			t.Errorf("key %q: want one error and no object, got %d objects, %v", src, len(res.Objects), res.Errors)
		} else if res.Errors[0].Pos.Line != 5 {
			t.Errorf("key %q reported at %v, want line 5", src, res.Errors[0].Pos)
		}
	}
}

// normalise turns every number into float64, the way encoding/json decodes
// them, so values from both converters can be compared.
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalise(e)
		}
		return out
	case int64:
		return float64(x)
	case int:
		return float64(x)
	}
	return v
}

// TestAgreesWithKubernetesYAML compares what the loader reads with what
// sigs.k8s.io/yaml, the YAML reader of kubectl and the API machinery, reads
// from the same documents.
func TestAgreesWithKubernetesYAML(t *testing.T) {
	files, err := filepath.Glob("testdata/realistic/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no realistic manifests: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res := Bytes(f, data, Options{})
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			docs := splitDocuments(data)
			if len(docs) != len(res.Objects) {
				t.Fatalf("%d documents but %d objects", len(docs), len(res.Objects))
			}
			for i, d := range docs {
				var want map[string]any
				if err := sigsyaml.Unmarshal(d.data, &want); err != nil {
					t.Fatalf("document %d: sigs.k8s.io/yaml: %v", i, err)
				}
				got := normalise(res.Objects[i].Raw)
				if !reflect.DeepEqual(got, normalise(want)) {
					diffMaps(t, "", got, normalise(want))
				}
			}
		})
	}
}

// diffMaps reports the paths where two decoded documents differ.
func diffMaps(t *testing.T, path string, got, want any) {
	t.Helper()
	gm, ok1 := got.(map[string]any)
	wm, ok2 := want.(map[string]any)
	if ok1 && ok2 {
		for k := range wm {
			diffMaps(t, path+"."+k, gm[k], wm[k])
		}
		for k := range gm {
			if _, ok := wm[k]; !ok {
				t.Errorf("%s.%s: extra key", path, k)
			}
		}
		return
	}
	gl, ok1 := got.([]any)
	wl, ok2 := want.([]any)
	if ok1 && ok2 && len(gl) == len(wl) {
		for i := range wl {
			diffMaps(t, path+"["+strconv.Itoa(i)+"]", gl[i], wl[i])
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v (%T), Kubernetes reads %#v (%T)", path, got, got, want, want)
	}
}
