// Decoding one object as the API server reads JSON (a wrong type or a
// number too large for its field is an error), without the pod fields no
// rule reads.

package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// decode converts the object's raw map into a typed API struct, the way the
// API server reads JSON: a value of the wrong type or a number too large for
// its field is an error.
func decode(o *Object, into any) error {
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
func pruned(o *Object) map[string]any {
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

func decodeJSON(o *Object, into any) error {
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
