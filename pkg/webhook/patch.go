package webhook

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"gomodules.xyz/jsonpatch/v2"
	"sigs.k8s.io/json"
)

// jsonPatch returns the JSON patch (RFC 6902) that turns original into
// current, the same operations in the same order whenever it is given the
// same two documents. controller-runtime's PatchResponseFromRaw builds the
// patch with gomodules.xyz/jsonpatch, which walks each JSON object in Go's
// map order: two admissions of one object could get the same operations in
// different orders (the preStop's and the grace period's swapped), which
// makes audit logs, diffs and golden tests flap. Here the members of an
// object are walked in the order of their names, so the operations on one
// object come sorted by path; an array keeps the library's order, which is
// already fixed (removals from the end, then additions, then the changed
// items, by index) and which is the one that applies.
//
// Integers are kept as int64 (as the API server reads them): a value
// copied into the patch is not rounded through float64.
func jsonPatch(original, current []byte) ([]jsonpatch.Operation, error) {
	if bytes.Equal(original, current) {
		return nil, nil
	}
	var a, b any
	if err := json.UnmarshalCaseSensitivePreserveInts(original, &a); err != nil {
		return nil, fmt.Errorf("original object: %w", err)
	}
	if err := json.UnmarshalCaseSensitivePreserveInts(current, &b); err != nil {
		return nil, fmt.Errorf("patched object: %w", err)
	}
	var d differ
	d.values(a, b)
	return d.ops, nil
}

// differ collects the operations; path is the JSON pointer of the value
// being compared, made into a string only for an operation.
type differ struct {
	ops  []jsonpatch.Operation
	path []byte
}

func (d *differ) op(op string, value any) {
	d.ops = append(d.ops, jsonpatch.NewOperation(op, string(d.path), value))
}

// values appends what turns a into b.
func (d *differ) values(a, b any) {
	switch at := a.(type) {
	case map[string]any:
		if bt, ok := b.(map[string]any); ok {
			d.objects(at, bt)
			return
		}
	case []any:
		if bt, ok := b.([]any); ok {
			d.arrays(at, bt)
			return
		}
	case string, int64, float64, bool, nil:
		if a == b {
			return
		}
	}
	d.op("replace", b)
}

// objects walks the members of a and b in the order of their names.
func (d *differ) objects(a, b map[string]any) {
	var buf [16]string
	names := buf[:0]
	for k := range b {
		names = append(names, k)
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	n := len(d.path)
	for _, k := range names {
		d.path = appendPointer(append(d.path, '/'), k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inA:
			d.op("add", bv)
		case !inB:
			d.op("remove", nil)
		default:
			d.values(av, bv)
		}
		d.path = d.path[:n]
	}
}

// arrays removes a's extra items from the last, appends b's extra items,
// then changes the items both have, by index: each operation's index is
// right at the moment it applies.
func (d *differ) arrays(a, b []any) {
	n := len(d.path)
	common := min(len(a), len(b))
	at := func(i int) { d.path = strconv.AppendInt(append(d.path[:n], '/'), int64(i), 10) }
	for i := len(a) - 1; i >= common; i-- {
		at(i)
		d.op("remove", nil)
	}
	for i := common; i < len(b); i++ {
		at(i)
		d.op("add", b[i])
	}
	for i := 0; i < common; i++ {
		at(i)
		d.values(a[i], b[i])
	}
	d.path = d.path[:n]
}

// appendPointer appends a member name escaped for a JSON pointer (RFC
// 6901): "~" as "~0", "/" as "~1".
func appendPointer(path []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '~':
			path = append(path, '~', '0')
		case '/':
			path = append(path, '~', '1')
		default:
			path = append(path, c)
		}
	}
	return path
}
