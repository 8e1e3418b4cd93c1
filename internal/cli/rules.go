package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/pkg/rules"
	"github.com/zerodrop/zerodrop/pkg/timing"
)

func newRulesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the rules",
		Long:  "List every rule with its ID, name, highest severity, scope and title. 'zerodrop explain ID' prints a rule's page.",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tSCOPE\tTITLE")
			for _, r := range rules.All() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Severity, r.Scope, r.Title)
			}
			return tw.Flush()
		},
	}
}

func newExplainCmd() *cobra.Command {
	var profile string
	c := &cobra.Command{
		Use:   "explain RULE|timing",
		Short: "Explain a rule (what it finds, why it drops requests, how to fix it) or the timing model's ranges",
		Long: `Explain a rule: print its page, with what it finds, why it drops requests and how to fix it.

'zerodrop explain timing' (or 'profile') prints every delay of the timing
model as a range [low, high] per load balancer preset, with the source of
each end, and the default shutdown mode; with --profile, as that profile file
narrows or widens them.`,
		Example: "  zerodrop explain ZD003\n  zerodrop explain prestop\n  zerodrop explain timing --profile measured.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if t := strings.ToLower(args[0]); t == "timing" || t == "profile" {
				ps := timing.Default()
				if profile != "" {
					var err error
					if ps, err = timing.LoadProfile(profile); err != nil {
						return usageError("--profile: %v", err)
					}
				}
				_, err := fmt.Fprint(c.OutOrStdout(), "# Timing model: delays as ranges\n\n"+ps.Describe())
				return err
			}
			if profile != "" {
				return usageError("--profile applies to 'zerodrop explain timing' only")
			}
			r := rules.Lookup(args[0])
			if r == nil {
				return usageError("unknown rule %q; 'zerodrop rules' lists them", args[0])
			}
			page := r.Doc()
			if page == "" {
				return fmt.Errorf("rule %s has no documentation page", r.ID)
			}
			_, err := fmt.Fprint(c.OutOrStdout(), page)
			return err
		},
	}
	c.Flags().StringVar(&profile, "profile", "", "with 'explain timing': a timing profile file to apply over the built-in ranges")
	return c
}
