// Decoding one object as the API server reads JSON (a wrong type or a
// number too large for its field is an error), without the pod fields no rule reads.

package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/zerodrop/zerodrop/pkg/load"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

func groupKind(o *load.Object) string { return o.Group() + "/" + o.Kind }

func refOf(o *load.Object) Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

func meta(o *load.Object) Meta {
	m := Meta{Ref: refOf(o), Pos: o.Pos, Object: o}
	if md, ok := o.Raw["metadata"].(map[string]any); ok {
		m.Labels = stringMap(md["labels"])
		m.Annotations = stringMap(md["annotations"])
	}
	return m
}

// stringMap reads labels or annotations, accepting non-string scalars the
// way a careless manifest writes them (the API server would refuse them,
// but the intent is clear).
func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		switch x := e.(type) {
		case string:
			out[k] = x
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(x)
		}
	}
	return out
}

// decode converts the object's raw map into a typed API struct, the way the
// API server reads JSON: a value of the wrong type or a number too large for
// its field is an error.
func decode(o *load.Object, into any) error {
	// The unstructured converter is twice as fast as a JSON round trip, but
	// it silently truncates numbers that do not fit their field, so input
	// with such numbers takes the JSON way.
	if hasLargeNumber(o.Raw, 0) {
		return decodeJSON(o, into)
	}
	m := pruned(o)
	if convertFast(m, into) == nil {
		return nil
	}
	v := reflect.ValueOf(into).Elem()
	v.Set(reflect.Zero(v.Type()))
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(m, into); err != nil {
		// The converter's messages do not name the field; encoding/json's do.
		if jerr := decodeJSON(o, reflect.New(reflect.TypeOf(into).Elem()).Interface()); jerr != nil {
			return jerr
		}
		return fmt.Errorf("does not match the %s schema: %w", o.Kind, err)
	}
	return nil
}

// unusedPodFields are parts of a pod spec no rule reads. Typing them (env
// values, resource quantities, volumes) is most of the cost of a workload
// and most of its memory, so the typed model leaves them out.
var (
	unusedPodFields       = []string{"volumes"}
	unusedContainerFields = []string{"env", "envFrom", "resources", "volumeMounts", "volumeDevices", "resizePolicy"}
)

// pruned returns the object's content without the unused pod fields,
// copying only the maps on the way, so Raw itself is left as read.
func pruned(o *load.Object) map[string]any {
	var path []string
	switch o.Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout":
		path = []string{"spec", "template", "spec"}
	case "Pod":
		path = []string{"spec"}
	default:
		return o.Raw
	}
	root := shallow(o.Raw)
	cur := root
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return o.Raw
		}
		next = shallow(next)
		cur[k] = next
		cur = next
	}
	for _, f := range unusedPodFields {
		delete(cur, f)
	}
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		cs, ok := cur[list].([]any)
		if !ok {
			continue
		}
		out := make([]any, len(cs))
		for i, c := range cs {
			m, ok := c.(map[string]any)
			if !ok {
				out[i] = c
				continue
			}
			m = shallow(m)
			for _, f := range unusedContainerFields {
				delete(m, f)
			}
			out[i] = m
		}
		cur[list] = out
	}
	return root
}

func shallow(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func decodeJSON(o *load.Object, into any) error {
	data, err := json.Marshal(o.Raw)
	if err != nil {
		return fmt.Errorf("cannot be read as JSON: %w", err)
	}
	err = json.Unmarshal(data, into)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return fmt.Errorf("does not match the %s schema: %s: cannot use %s as %s", o.Kind, te.Field, te.Value, te.Type)
	}
	return fmt.Errorf("does not match the %s schema: %s", o.Kind, strings.TrimPrefix(err.Error(), "json: "))
}

// hasLargeNumber reports a number outside the int32 range anywhere in v.
// Fields that take such numbers are rare (runAsUser, activeDeadlineSeconds),
// so this is almost always false.
func hasLargeNumber(v any, depth int) bool {
	if depth > 300 {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if hasLargeNumber(e, depth+1) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if hasLargeNumber(e, depth+1) {
				return true
			}
		}
	case int64:
		return x > math.MaxInt32 || x < math.MinInt32
	case float64:
		return x > math.MaxInt32 || x < math.MinInt32
	}
	return false
}
