package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zerodrop/zerodrop/docs"
	"github.com/zerodrop/zerodrop/pkg/rules"
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
	return &cobra.Command{
		Use:     "explain RULE",
		Short:   "Explain a rule: what it finds, why it drops requests, how to fix it",
		Example: "  zerodrop explain ZD003\n  zerodrop explain prestop",
		Args:    cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			r := rules.Lookup(args[0])
			if r == nil {
				return usageError("unknown rule %q; 'zerodrop rules' lists them", args[0])
			}
			page, ok := docs.Rule(r.ID)
			if !ok {
				return fmt.Errorf("rule %s has no documentation page", r.ID)
			}
			_, err := fmt.Fprint(c.OutOrStdout(), page)
			return err
		},
	}
}
