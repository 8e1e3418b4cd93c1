// Package docs embeds zerodrop's documentation pages, so that `zerodrop
// explain`, SARIF rule help and the docs/ directory come from one source.
package docs

import (
	"embed"
	"strings"
)

//go:embed rules/*.md
var rulePages embed.FS

// Rule returns the Markdown page of a rule, by ID ("ZD003").
func Rule(id string) (string, bool) {
	b, err := rulePages.ReadFile("rules/" + strings.ToUpper(id) + ".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// RulePages lists the IDs of the rule pages, in name order, so that a test
// can hold every page to a rule.
func RulePages() []string {
	entries, _ := rulePages.ReadDir("rules")
	var ids []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".md"); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// RepoURL is where the documentation is published, for links in reports.
const RepoURL = "https://github.com/zerodrop/zerodrop"

// RuleURL links to a rule's page.
func RuleURL(id string) string {
	return RepoURL + "/blob/main/docs/rules/" + strings.ToUpper(id) + ".md"
}
