package check

import (
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/schema"
)

// SchemaVersion is the version of the JSON contract of Result. It changes
// only when a field is removed or changes meaning.
const SchemaVersion schema.Version = "1"

// InputError is a problem with the input, as reported.
type InputError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Summary counts what was checked and found.
type Summary struct {
	Files      int `json:"files"`
	Objects    int `json:"objects"`
	Workloads  int `json:"workloads"`
	Exposures  int `json:"exposures"`
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Infos      int `json:"infos"`
	Suppressed int `json:"suppressed"`
	// InputErrors counts entries of Result.Errors.
	InputErrors int `json:"inputErrors"`
	// Skipped counts non-Kubernetes documents in discovered files.
	Skipped int `json:"skipped"`
	// NoExposure, set when objects were read but no AWS load balancer
	// exposure was found, says so and names what was looked at: the
	// load-balancer rules then had nothing to judge, which must not read
	// as a pass.
	NoExposure string `json:"noExposure,omitempty"`
	// FailOn is the --fail-on threshold and Failed whether it was reached.
	FailOn string `json:"failOn"`
	Failed bool   `json:"failed"`
}

// Result is the outcome of a check: the JSON contract of `check -o json`.
type Result struct {
	SchemaVersion schema.Version    `json:"schemaVersion"`
	Findings      []finding.Finding `json:"findings"`
	Errors        []InputError      `json:"errors"`
	Notes         []inventory.Note  `json:"notes"`
	// Assumptions lists what zerodrop assumed because the input did not say
	// (the Kubernetes version, the timing profile).
	Assumptions []string `json:"assumptions"`
	Summary     Summary  `json:"summary"`
}
