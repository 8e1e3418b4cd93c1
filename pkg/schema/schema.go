// Package schema holds the type of the schemaVersion field that every JSON
// contract of zerodrop carries (check, audit and simulate -o json, verify's
// report and its --out records), so that a program reading several of them
// reads the version one way: always a JSON string, such as "1".
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Version is the version of one JSON contract. It changes only when a field
// is removed or changes meaning; new fields may be added without it.
type Version string

// UnmarshalJSON reads a string, and also a whole number, the form verify's
// report and records had before the versions were unified (an --out file
// written then still reads).
func (v *Version) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" { // as encoding/json does: no value, no change
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Version(s)
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		return fmt.Errorf("schemaVersion %s: want a string such as \"1\"", b)
	}
	*v = Version(strconv.FormatUint(n, 10))
	return nil
}
