package load

import (
	"strconv"
	"strings"
	"testing"
)

// parse reads src as one in-memory stream named test.yaml with default limits.
func parse(t *testing.T, src string) *Result {
	t.Helper()
	return Bytes("test.yaml", []byte(src), Options{})
}

// mustObjects fails the test unless src loads without errors into n objects.
func mustObjects(t *testing.T, src string, n int) []*Object {
	t.Helper()
	res := parse(t, src)
	if len(res.Errors) > 0 {
		t.Fatalf("unexpected errors: %v", res.Errors)
	}
	if len(res.Objects) != n {
		t.Fatalf("got %d objects, want %d", len(res.Objects), n)
	}
	return res.Objects
}

// errorContaining returns the first error whose message contains every
// fragment, or fails the test.
func errorContaining(t *testing.T, errs []InputError, fragments ...string) InputError {
	t.Helper()
	for _, e := range errs {
		ok := true
		for _, f := range fragments {
			if !strings.Contains(e.Error(), f) {
				ok = false
				break
			}
		}
		if ok {
			return e
		}
	}
	t.Fatalf("no error contains %q; errors: %v", fragments, errs)
	return InputError{}
}

// names lists "Kind/name@line" for each object, for compact comparisons.
func names(objs []*Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Kind + "/" + o.Name + "@" + strconv.Itoa(o.Pos.Line)
	}
	return out
}
