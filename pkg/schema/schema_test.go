package schema

import (
	"encoding/json"
	"testing"
)

func TestVersionJSON(t *testing.T) {
	b, err := json.Marshal(struct {
		V Version `json:"schemaVersion"`
	}{"2"})
	if err != nil || string(b) != `{"schemaVersion":"2"}` {
		t.Errorf("marshal: %s, %v", b, err)
	}
	for in, want := range map[string]Version{`"1"`: "1", `1`: "1", ` 12 `: "12", `"2"`: "2"} {
		var v Version
		if err := json.Unmarshal([]byte(in), &v); err != nil || v != want {
			t.Errorf("unmarshal %s: %q, %v; want %q", in, v, err, want)
		}
	}
	for _, in := range []string{`1.5`, `-1`, `true`, `{}`, `"unterminated`} {
		var v Version
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("unmarshal %s: %q, no error", in, v)
		}
	}
	v := Version("3")
	if err := json.Unmarshal([]byte(`null`), &v); err != nil || v != "3" {
		t.Errorf("null: %q, %v; want no change", v, err)
	}
}
