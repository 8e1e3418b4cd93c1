package load

import (
	"reflect"
	"strings"
	"testing"
)

func TestObjectLines(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "multi-document stream with comments",
			src: `# a header comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
---
# comment before the second object

apiVersion: v1
kind: ConfigMap
metadata:
  name: second
---
apiVersion: v1
kind: Secret
metadata:
  name: third
`,
			want: []string{"ConfigMap/first@2", "ConfigMap/second@9", "Secret/third@14"},
		},
		{
			name: "leading separator",
			src: `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
`,
			want: []string{"ConfigMap/a@2", "ConfigMap/b@7"},
		},
		{
			name: "separator followed by a comment",
			src: `--- # the first one
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
--- # the second one
# and another comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
`,
			want: []string{"ConfigMap/a@2", "ConfigMap/b@8"},
		},
		{
			name: "empty documents and trailing separator",
			src: `---
---
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
`,
			want: []string{"ConfigMap/a@5"},
		},
		{
			name: "document end marker",
			src: `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
...
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
`,
			want: []string{"ConfigMap/a@1", "ConfigMap/b@7"},
		},
		{
			name: "document end marker with a comment",
			src:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n... # end of a\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
			want: []string{"ConfigMap/a@1", "ConfigMap/b@5"},
		},
		{
			name: "separator on a line ended by a lone CR",
			src:  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\r---\rapiVersion: v1\rkind: ConfigMap\rmetadata: {name: b}\n",
			want: []string{"ConfigMap/a@1", "ConfigMap/b@3"},
		},
		{
			name: "CRLF line endings",
			src: strings.ReplaceAll(`# comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
`, "\n", "\r\n"),
			want: []string{"ConfigMap/a@2", "ConfigMap/b@7"},
		},
		{
			name: "byte order mark",
			src: "\ufeffapiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n" +
				"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n",
			want: []string{"ConfigMap/a@1", "ConfigMap/b@6"},
		},
		{
			name: "byte order mark and CRLF",
			src:  "\ufeff---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n",
			want: []string{"ConfigMap/a@2"},
		},
		{
			name: "classic Mac line endings",
			src:  "# comment\rapiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: a\r---\rapiVersion: v1\rkind: ConfigMap\rmetadata:\r  name: b\r",
			want: []string{"ConfigMap/a@2", "ConfigMap/b@7"},
		},
		{
			name: "a stray CR and Unicode line separators",
			src: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {x: \"one\rtwo\", y: \"three\u2028four\u2029five\u0085six\"}\n" +
				"data:\n  k: v\n---\n# comment\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations: {z: \"p\rq\u2028r\"}\n  name: b\n" +
				"---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: \"c\u2028\"}}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: d}\n",
			want: []string{"ConfigMap/a@1", "ConfigMap/b@10", "ConfigMap/c\u2028@19", "ConfigMap/d@20"},
		},
		{
			name: "no trailing newline",
			src:  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}",
			want: []string{"ConfigMap/a@1", "ConfigMap/b@6"},
		},
		{
			name: "YAML List",
			src: `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
`,
			want: []string{"Deployment/web@6", "Service/web@11"},
		},
		{
			name: "YAML List after another document",
			src: `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: one
  -

    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: two
`,
			want: []string{"Namespace/shop@1", "ConfigMap/one@9", "ConfigMap/two@15"},
		},
		{
			name: "JSON object",
			src: `{
  "apiVersion": "v1",
  "kind": "ConfigMap",
  "metadata": {"name": "a"}
}
`,
			want: []string{"ConfigMap/a@1"},
		},
		{
			name: "JSON indented with tabs",
			src:  "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"ConfigMap\",\n\t\"metadata\": {\n\t\t\"name\": \"a\"\n\t}\n}\n",
			want: []string{"ConfigMap/a@1"},
		},
		{
			name: "JSON List as kubectl get -o json writes it",
			src: `{
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "shop"
            }
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "web",
                "namespace": "shop"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
`,
			want: []string{"Deployment/web@4", "Service/web@12"},
		},
		{
			name: "typed list from the API",
			src: `apiVersion: apps/v1
kind: DeploymentList
metadata: {}
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
`,
			want: []string{"Deployment/web@5"},
		},
		{
			name: "content on the separator line",
			src: `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
--- {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}
--- !!map
apiVersion: v1
kind: ConfigMap
metadata:
  name: c
`,
			want: []string{"ConfigMap/a@1", "ConfigMap/b@5", "ConfigMap/c@7"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, tt.src)
			if len(res.Errors) > 0 {
				t.Fatalf("unexpected errors: %v", res.Errors)
			}
			if got := names(res.Objects); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("objects:\n got %v\nwant %v", got, tt.want)
			}
			for _, o := range res.Objects {
				if o.Pos.File != "test.yaml" {
					t.Errorf("%s/%s: file %q, want test.yaml", o.Kind, o.Name, o.Pos.File)
				}
			}
		})
	}
}

func TestListItemsMarked(t *testing.T) {
	objs := mustObjects(t, `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: a
    namespace: shop
`, 2)
	if objs[0].FromList {
		t.Errorf("the Namespace is not a List item")
	}
	if !objs[1].FromList {
		t.Errorf("the ConfigMap came from a List")
	}
	if objs[1].Namespace != "shop" || objs[1].APIVersion != "v1" || objs[1].Group() != "" {
		t.Errorf("item read as %+v", objs[1])
	}
}

func TestEmptyList(t *testing.T) {
	res := parse(t, "apiVersion: v1\nkind: List\nitems: []\n")
	if len(res.Errors) != 0 || len(res.Objects) != 0 {
		t.Errorf("an empty List gives nothing; got %d objects, errors %v", len(res.Objects), res.Errors)
	}
}

func TestListItemErrors(t *testing.T) {
	res := parse(t, `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: good
- just a string
- kind: ConfigMap
  metadata:
    name: no-version
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: also-good
`)
	if got := names(res.Objects); !reflect.DeepEqual(got, []string{"ConfigMap/good@4", "ConfigMap/also-good@12"}) {
		t.Errorf("objects: %v", got)
	}
	if e := errorContaining(t, res.Errors, "item 1", "string"); e.Pos.Line != 8 {
		t.Errorf("non-object item reported at %v, want line 8", e.Pos)
	}
	if e := errorContaining(t, res.Errors, "no apiVersion"); e.Pos.Line != 9 {
		t.Errorf("item without apiVersion reported at %v, want line 9", e.Pos)
	}
	res = parse(t, "apiVersion: v1\nkind: List\nitems: {a: b}\n")
	errorContaining(t, res.Errors, "items is a mapping, not a list")
}
