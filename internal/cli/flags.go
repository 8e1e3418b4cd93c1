package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/zerodrop/zerodrop/pkg/config"
	"github.com/zerodrop/zerodrop/pkg/kubeversion"
)

// The flags that several commands share are registered here, each with one
// help text, so that `--help` says the same thing everywhere and a change
// of meaning is made once.

// addManifestFlags registers what every command that reads manifests
// (check, fix, simulate) takes: the sources (-f, -R, -k, -n, -l, the Helm
// chart flags, --max-document-size), the output format (-o, from formats),
// the settings shared with .zerodrop.yaml (--config, --profile,
// --kube-version) and what the apps do (--shutdown, --longest-request).
func (f *checkFlags) addManifestFlags(c *cobra.Command, formats ...string) {
	f.in.add(c)
	fl := c.Flags()
	addOutputFlag(fl, &f.output, formats...)
	addProfileFlag(fl, &f.profile)
	addConfigFlag(fl, &f.configPath)
	fl.StringVar(&f.kubeVersion, "kube-version", "", "target Kubernetes version, e.g. 1.29, for version-dependent advice and fixes (default: "+kubeversion.Default.String()+", stated in the output)")
	f.app.add(fl)
}

// addOutputFlag registers -o with the formats a command writes; the first
// is the default.
func addOutputFlag(fl *pflag.FlagSet, p *string, formats ...string) {
	fl.StringVarP(p, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
}

// addProfileFlag registers --profile, the timing profile file.
func addProfileFlag(fl *pflag.FlagSet, p *string) {
	fl.StringVar(p, "profile", "", "timing profile file narrowing or widening the built-in delay ranges (see docs/timing.md)")
}

// addConfigFlag registers --config.
func addConfigFlag(fl *pflag.FlagSet, p *string) {
	fl.StringVar(p, "config", "", "config file (default: "+config.FileName+" in the current directory, if present)")
}

// addRulesFlag registers --rules for the commands that run the rules
// (check, audit, webhook); fix's --rules picks fixes and says so itself.
func addRulesFlag(fl *pflag.FlagSet, p *string) {
	fl.StringVar(p, "rules", "", "run only these rules, comma-separated IDs or names (e.g. ZD003,ZD004)")
}

// addFindingOutputFlags registers what check and audit share about their
// findings: --fail-on, --color and -v.
func addFindingOutputFlags(fl *pflag.FlagSet, failOn, color *string, verbose *bool) {
	fl.StringVar(failOn, "fail-on", "", "lowest severity that makes the exit code 1: info, warning, error or none (default warning)")
	fl.StringVar(color, "color", "auto", "colour text output: auto (on a terminal, unless NO_COLOR is set), always or never")
	fl.BoolVarP(verbose, "verbose", "v", false, "text output: show every number's source in full")
}
