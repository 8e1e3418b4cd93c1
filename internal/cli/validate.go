package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
)

// flagChecks validate flags that several commands share, or whose range the
// command's own code does not check. Each names the flag and what it
// accepts. They run on the flags the user set, before the command.
var flagChecks = map[string]func(f *pflag.Flag) error{
	"color":             oneOf("auto", "always", "never"),
	"max-document-size": intRange(1, 512<<20, "bytes"),
	"namespace":         namespaceName,
	"workers":           intRange(0, 4096, ""),
	"nodes":             intRange(1, 100_000, ""),
	"drain-nodes":       intRange(0, 100_000, ""),
	"scale-to":          intRange(0, 100_000, ""),
	"max-warnings":      intRange(0, 1000, ""),
	"stuck-after":       positiveDuration,
	"call-timeout":      positiveDuration,
}

// validateFlags runs flagChecks on the flags of c the user set.
func validateFlags(c *cobra.Command) error {
	var err error
	c.Flags().Visit(func(f *pflag.Flag) {
		if check := flagChecks[f.Name]; check != nil && err == nil {
			if e := check(f); e != nil {
				err = usageError("--%s %s: %v", f.Name, quoteIfEmpty(f.Value.String()), e)
			}
		}
	})
	return err
}

func quoteIfEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func oneOf(values ...string) func(*pflag.Flag) error {
	return func(f *pflag.Flag) error {
		for _, v := range values {
			if f.Value.String() == v {
				return nil
			}
		}
		return fmt.Errorf("want %s", orList(values))
	}
}

func intRange(lo, hi int64, unit string) func(*pflag.Flag) error {
	return func(f *pflag.Flag) error {
		var n int64
		if _, err := fmt.Sscan(f.Value.String(), &n); err != nil {
			return err
		}
		if n < lo || n > hi {
			if unit != "" {
				return fmt.Errorf("want %d to %d %s", lo, hi, unit)
			}
			return fmt.Errorf("want %d to %d", lo, hi)
		}
		return nil
	}
}

func positiveDuration(f *pflag.Flag) error {
	if d, ok := f.Value.(interface{ Type() string }); ok && d.Type() == "duration" {
		if strings.HasPrefix(f.Value.String(), "-") || f.Value.String() == "0s" {
			return fmt.Errorf("want a positive duration such as 30s or 5m")
		}
	}
	return nil
}

func namespaceName(f *pflag.Flag) error {
	if errs := validation.IsDNS1123Label(f.Value.String()); len(errs) > 0 {
		return fmt.Errorf("want a namespace name: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters")
	}
	return nil
}

// orList joins values as "a, b or c".
func orList(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
