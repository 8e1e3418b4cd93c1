package load

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/zerodrop/zerodrop/internal/intern"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// The fast converter fills a typed API struct from a loaded object's map
// as runtime.DefaultUnstructuredConverter.FromUnstructured does, about
// three times faster: it walks the map's keys (a manifest sets a few of a
// struct's many fields) instead of every field of every struct, with the
// fields of each type looked up once. It takes only what it is sure to
// read the same way: a value of an unexpected type, a float where an
// integer goes, an interface field, a type whose fields it cannot place,
// gives errSlow, and decode then uses FromUnstructured, errors and all.
// TestFastConverterAgrees holds the two to the same result.

var errSlow = errors.New("left to the unstructured converter")

// typePlan is how the fast converter fills one struct type.
type typePlan struct {
	fields map[string][]int // JSON name -> field index path (through inlined structs)
	// slow is set for a type the fast converter leaves alone.
	slow bool
}

var plans sync.Map // reflect.Type -> *typePlan

var (
	intOrStringType = reflect.TypeOf(intstr.IntOrString{})
	labelsType      = reflect.TypeOf(map[string]string(nil))
)

func planOf(t reflect.Type) *typePlan {
	if p, ok := plans.Load(t); ok {
		return p.(*typePlan)
	}
	p := &typePlan{fields: map[string][]int{}}
	p.slow = !addFields(p, t, nil)
	plans.Store(t, p)
	return p
}

// addFields adds t's fields to p under index path prefix, the way the
// unstructured converter names them; it reports false for a struct it
// cannot place for sure.
func addFields(p *typePlan, t reflect.Type, prefix []int) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			return false
		}
		name := f.Name
		inline := false
		if tag, ok := f.Tag.Lookup("json"); ok && tag != "" {
			items := strings.Split(tag, ",")
			for _, d := range items[1:] {
				if d == "embed" {
					return false
				}
			}
			name = items[0]
			if name == "" {
				name, inline = f.Name, f.Anonymous
			}
		} else if f.Anonymous {
			inline = true
		}
		index := append(append([]int{}, prefix...), i)
		if inline {
			if f.Type.Kind() != reflect.Struct || value.TypeReflectEntryOf(f.Type).CanConvertFromUnstructured() ||
				!addFields(p, f.Type, index) {
				return false
			}
			continue
		}
		if _, dup := p.fields[name]; dup {
			return false
		}
		p.fields[name] = index
	}
	return true
}

// fastConvert fills dv, a zero value, from sv, a JSON-compatible value.
func fastConvert(sv any, dv reflect.Value, depth int) error {
	if sv == nil {
		return nil
	}
	if depth > 100 {
		return errSlow
	}
	switch dv.Kind() {
	case reflect.String:
		s, ok := sv.(string)
		if !ok {
			return errSlow
		}
		dv.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := sv.(bool)
		if !ok {
			return errSlow
		}
		dv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := sv.(int64)
		if !ok {
			return errSlow
		}
		dv.SetInt(i)
		return nil
	case reflect.Float32, reflect.Float64:
		switch x := sv.(type) {
		case float64:
			dv.SetFloat(x)
		case int64:
			dv.SetFloat(float64(x))
		default:
			return errSlow
		}
		return nil
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Struct:
	default:
		return errSlow
	}
	t := dv.Type()
	if t == intOrStringType {
		switch x := sv.(type) {
		case string:
			dv.Set(reflect.ValueOf(intstr.FromString(x)))
		case int64:
			if int64(int32(x)) != x {
				return errSlow
			}
			dv.Set(reflect.ValueOf(intstr.FromInt32(int32(x))))
		default:
			return errSlow
		}
		return nil
	}
	if dv.Kind() != reflect.Pointer {
		if e := value.TypeReflectEntryOf(t); e.CanConvertFromUnstructured() {
			if e.FromUnstructured(reflect.ValueOf(sv), dv) != nil {
				return errSlow
			}
			return nil
		}
	}
	switch dv.Kind() {
	case reflect.Pointer:
		dv.Set(reflect.New(t.Elem()))
		return fastConvert(sv, dv.Elem(), depth+1)
	case reflect.Slice:
		s, ok := sv.([]any)
		if !ok {
			return errSlow
		}
		dv.Set(reflect.MakeSlice(t, len(s), len(s)))
		for i, e := range s {
			if err := fastConvert(e, dv.Index(i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		m, ok := sv.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return errSlow
		}
		dv.Set(reflect.MakeMapWithSize(t, len(m)))
		kt, et := t.Key(), t.Elem()
		for k, e := range m {
			ev := reflect.New(et).Elem()
			if err := fastConvert(e, ev, depth+1); err != nil {
				return err
			}
			dv.SetMapIndex(reflect.ValueOf(k).Convert(kt), ev)
		}
		if t == labelsType {
			// Label sets and selectors repeat from object to object.
			dv.Set(reflect.ValueOf(intern.Labels(dv.Interface().(map[string]string))))
		}
		return nil
	case reflect.Struct:
		m, ok := sv.(map[string]any)
		if !ok {
			return errSlow
		}
		p := planOf(t)
		if p.slow {
			return errSlow
		}
		for k, e := range m {
			index, ok := p.fields[k]
			if !ok || e == nil {
				continue
			}
			if err := fastConvert(e, dv.FieldByIndex(index), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return errSlow
}

// convertFast fills into, a pointer to a zero API struct, from m; it gives
// errSlow (with into in any state) when the unstructured converter must do
// it.
func convertFast(m map[string]any, into any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errSlow, p)
		}
	}()
	return fastConvert(m, reflect.ValueOf(into).Elem(), 0)
}
