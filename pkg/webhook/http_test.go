package webhook

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// HTTPHandler answers every request as controller-runtime's
// admission.Webhook does: reviews of both versions, with warnings, a
// denial and a patch, and each way a request can be wrong.
func TestHTTPHandlerAnswersAsAdmissionWebhook(t *testing.T) {
	src := benchNamespace(t)
	deploy := request(t, admissionv1.Create, obj(t, deploymentYAML), nil)
	service := request(t, admissionv1.Update, obj(t, serviceYAML), obj(t, serviceYAML))
	enforce := testOptions()
	enforce.Enforce = true
	handlers := map[string]admission.Handler{
		"validate": NewValidator(src, testOptions()),
		"enforce":  NewValidator(src, enforce),
		"mutate":   NewMutator(src, testOptions()),
	}
	body := func(apiVersion string, req admission.Request) string {
		b, err := json.Marshal(map[string]any{"apiVersion": apiVersion, "kind": "AdmissionReview", "request": req.AdmissionRequest})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	type call struct {
		name, body, contentType string
		unknownLength           bool
	}
	var calls []call
	for _, v := range []string{"admission.k8s.io/v1", "admission.k8s.io/v1beta1"} {
		calls = append(calls, call{name: v + " deployment", body: body(v, deploy)}, call{name: v + " service", body: body(v, service)})
	}
	calls = append(calls,
		call{name: "no apiVersion or kind", body: strings.Replace(strings.Replace(body("", deploy), `"apiVersion":"",`, "", 1), `"kind":"AdmissionReview",`, "", 1)},
		call{name: "length not announced", body: body("admission.k8s.io/v1", deploy), unknownLength: true},
		call{name: "empty body", body: ""},
		call{name: "not JSON", body: "{not json"},
		call{name: "wrong content type", body: body("admission.k8s.io/v1", deploy), contentType: "text/plain"},
	)
	serve := func(h http.Handler, c call) (int, map[string]any) {
		var rd io.Reader = strings.NewReader(c.body)
		if c.unknownLength {
			rd = io.MultiReader(rd) // hides the length
		}
		r := httptest.NewRequest(http.MethodPost, ValidatePath, rd)
		if c.body == "" {
			r.Body = http.NoBody
		}
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: answer not JSON: %v: %s", c.name, err, w.Body)
		}
		return w.Code, out
	}
	// normal makes answers comparable: a patch's operations in path order
	// (the mutating handler's JSON patch lists them in map order), and of
	// a refused request only whether it was allowed and its status code
	// (controller-runtime words a JSON error differently and leaves out
	// the review's apiVersion and kind, which the API server requires).
	normal := func(out map[string]any) map[string]any {
		resp, _ := out["response"].(map[string]any)
		if p, ok := resp["patch"].(string); ok {
			raw, err := base64.StdEncoding.DecodeString(p)
			if err != nil {
				t.Fatal(err)
			}
			var ops []map[string]any
			if err := json.Unmarshal(raw, &ops); err != nil {
				t.Fatal(err)
			}
			sort.Slice(ops, func(i, j int) bool { return fmt.Sprint(ops[i]["path"]) < fmt.Sprint(ops[j]["path"]) })
			resp["patch"] = ops
		}
		status, _ := resp["status"].(map[string]any)
		if code, _ := status["code"].(float64); code >= 400 {
			return map[string]any{"allowed": resp["allowed"], "code": code}
		}
		return out
	}
	patched, denied := false, false
	for name, h := range handlers {
		for _, c := range calls {
			wantCode, want := serve(&admission.Webhook{Handler: h}, c)
			gotCode, got := serve(HTTPHandler(h), c)
			if got["apiVersion"] == nil || got["kind"] != "AdmissionReview" {
				t.Errorf("%s, %s: answer without its version and kind: %v", name, c.name, got)
			}
			if gotCode != wantCode || !reflect.DeepEqual(normal(got), normal(want)) {
				t.Errorf("%s, %s: answer %d %v\nwant %d %v", name, c.name, gotCode, got, wantCode, want)
			}
			resp, _ := got["response"].(map[string]any)
			if resp["patch"] != nil {
				patched = true
			}
			if resp["allowed"] == false && c.name == "admission.k8s.io/v1 deployment" {
				denied = true
			}
		}
	}
	if !patched || !denied {
		t.Errorf("the cases lack a patch (%v) or a denial (%v)", patched, denied)
	}
	// A body past the limit is refused, not read whole.
	big := bytes.Repeat([]byte("x"), maxRequestSize+1)
	r := httptest.NewRequest(http.MethodPost, ValidatePath, bytes.NewReader(big))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	HTTPHandler(handlers["validate"]).ServeHTTP(w, r)
	if !strings.Contains(w.Body.String(), "too large") {
		t.Errorf("a body past the limit: %s", w.Body)
	}
}
