package timing

import (
	"fmt"
	"strings"
)

// Describe writes the delays in effect as Markdown: one table of ranges per
// preset and the source of each end. `zerodrop explain timing` prints it,
// and docs/timing.md carries the built-in version (a test keeps the two
// equal).
func (ps *Profiles) Describe() string {
	var b strings.Builder
	b.WriteString("| delay | " + strings.Join(PresetNames, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(PresetNames)) + "|\n")
	for _, k := range Keys() {
		fmt.Fprintf(&b, "| `%s` |", k)
		for _, pn := range PresetNames {
			p := ps.byKey[canonicalKey(pn)]
			fmt.Fprintf(&b, " %s |", strings.TrimSuffix(p.fields()[k].String(), "s"))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWhere each end comes from (seconds; \"facts §\" is a section of the project's fact sheet on public sources):\n\n")
	b.WriteString("| delay | presets | low | high |\n|---|---|---|---|\n")
	for _, k := range Keys() {
		// Group the presets that share a range and its sources.
		type row struct {
			r     Range
			names []string
		}
		var rows []*row
		for _, pn := range PresetNames {
			p := ps.byKey[canonicalKey(pn)]
			r := *p.fields()[k]
			found := false
			for _, x := range rows {
				if x.r.Low == r.Low && x.r.High == r.High && x.r.LowFrom == r.LowFrom && x.r.HighFrom == r.HighFrom {
					x.names = append(x.names, pn)
					found = true
					break
				}
			}
			if !found {
				rows = append(rows, &row{r: r, names: []string{pn}})
			}
		}
		for _, x := range rows {
			names := strings.Join(x.names, ", ")
			if len(x.names) == len(PresetNames) {
				names = "all"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %d: %s | %d: %s |\n", k, names, x.r.Low, escape(first(x.r.LowFrom, x.r.Detail)), x.r.High, escape(first(x.r.HighFrom, x.r.Detail)))
		}
	}
	fmt.Fprintf(&b, "\nShutdown mode when a workload does not say: **%s** (%s: %s).\n", ps.Shutdown.Value, ps.Shutdown.Source, ps.Shutdown.Detail)
	if ps.File != "" {
		fmt.Fprintf(&b, "\nOverrides from the profile %s.\n", ps.File)
	}
	return b.String()
}

func escape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
