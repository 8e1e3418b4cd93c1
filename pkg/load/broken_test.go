package load

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// brokenStream puts a broken document between two good ones. The broken
// document starts on line 6.
func brokenStream(broken string) string {
	return `apiVersion: v1
kind: ConfigMap
metadata:
  name: before
---
` + broken + `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: after
`
}

func TestBrokenDocumentInStream(t *testing.T) {
	tests := []struct {
		name    string
		broken  string
		line    int
		message []string
	}{
		{
			name: "tab indentation",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
	name: tabbed
`,
			line:    9,
			message: []string{"invalid YAML", "tab"},
		},
		{
			name: "unclosed flow sequence",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: unclosed
  finalizers: [a, b
data:
  x: y
`,
			line:    10,
			message: []string{"invalid YAML", "']'"},
		},
		{
			name: "unclosed flow sequence at the end of the document",
			broken: `apiVersion: v1
kind: ConfigMap
metadata: {name: x, finalizers: [a, b
`,
			line:    8,
			message: []string{"invalid YAML"},
		},
		{
			name: "unclosed flow mapping",
			broken: `apiVersion: v1
kind: ConfigMap
metadata: {name: x
data:
  a: b
`,
			line:    8,
			message: []string{"invalid YAML", "'}'"},
		},
		{
			name: "duplicate keys",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: dup
data:
  a: "1"
  a: "2"
`,
			line:    12,
			message: []string{`key "a" appears twice`, "first at line 11"},
		},
		{
			name: "duplicate top-level key",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: dup
kind: Secret
`,
			line:    10,
			message: []string{`key "kind" appears twice`, "first at line 7"},
		},
		{
			name: "mapping value in the wrong place",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: x
 bad: indentation: here
`,
			line:    10,
			message: []string{"invalid YAML"},
		},
		{
			// go-yaml names the line of the mapping that lost its key,
			// not the line of the stray item.
			name: "sequence item inside a mapping",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: x
  - oops
`,
			line:    9,
			message: []string{"invalid YAML"},
		},
		{
			name: "unterminated quoted string",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: "x
`,
			line:    9,
			message: []string{"invalid YAML"},
		},
		{
			name:    "error after a Unicode line separator",
			broken:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"x\u2028y\"\n  labels: {a: b\n",
			line:    10,
			message: []string{"invalid YAML", "'}'"},
		},
		{
			name:    "duplicate key after a stray CR",
			broken:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"x\ry\"\ndata: {a: b}\ndata: {}\n",
			line:    11,
			message: []string{`key "data" appears twice`, "first at line 10"},
		},
		{
			name: "undefined alias",
			broken: `apiVersion: v1
kind: ConfigMap
metadata:
  name: x
data:
  a: *nowhere
`,
			line:    11,
			message: []string{"nowhere"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, brokenStream(tt.broken))
			if got := names(res.Objects); !reflect.DeepEqual(got, []string{"ConfigMap/before@1", "ConfigMap/after@" + lineAfter(tt.broken)}) {
				t.Errorf("the good documents were not both read: %v", got)
			}
			if len(res.Errors) != 1 {
				t.Fatalf("want exactly one error, got %v", res.Errors)
			}
			e := errorContaining(t, res.Errors, tt.message...)
			if e.Pos.File != "test.yaml" || e.Pos.Line != tt.line {
				t.Errorf("error at %v, want test.yaml:%d (%s)", e.Pos, tt.line, e.Message)
			}
		})
	}
}

// lineAfter is the line of the document after the broken one.
func lineAfter(broken string) string {
	return strconv.Itoa(6 + strings.Count(broken, "\n") + 1)
}
