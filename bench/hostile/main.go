// Command hostile writes inputs built to make a YAML reader slow or large,
// for bench/memory.sh: each case is a few kilobytes to a few megabytes that
// a naive reader turns into seconds and gigabytes.
//
//	go run ./bench/hostile -case docs-aliases -size 55000 > bomb.yaml
//
// Cases:
//
//	billion        one document, the classic "billion laughs" (9 levels of 9)
//	docs-aliases   many documents, each expanding its aliases to just under
//	               a per-document budget of 200,000 values
//	merge          many documents whose merge keys (<<) expand aliases
//	deep           one document nested 100,000 levels deep
//	empty-docs     nothing but document separators
//	tiny-docs      many one-word documents that are not Kubernetes objects
//	long-scalar    one object whose annotation is a single huge line
//
// -size is the approximate output size in bytes for the cases that repeat.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	kind := flag.String("case", "docs-aliases", "which input to write (see the package doc)")
	size := flag.Int("size", 55_000, "approximate size in bytes, for the repeating cases")
	flag.Parse()
	if *size <= 0 {
		fmt.Fprintln(os.Stderr, "hostile: -size must be positive")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	repeat := func(doc string) {
		for n, i := 0, 0; n < *size; i++ {
			s := strings.ReplaceAll(doc, "NAME", fmt.Sprintf("x%d", i))
			w.WriteString(s)
			n += len(s)
		}
	}
	switch *kind {
	case "billion":
		w.WriteString(laughs(9, 9))
	case "docs-aliases":
		// About 150,000 counted values: under a budget of 200,000 per document.
		repeat("---\n" + laughs(5, 8))
	case "merge":
		var b strings.Builder
		b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\n")
		b.WriteString("m0: &m0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v}\n")
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(&b, "m%d: &m%d {", i, i)
			for j := 0; j < 10; j++ {
				fmt.Fprintf(&b, "c%d: *m%d, ", j, i-1)
			}
			fmt.Fprintf(&b, "<<: [*m%d]}\n", i-1)
		}
		repeat(b.String())
	case "deep":
		w.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: ")
		w.WriteString(strings.Repeat("[", 100_000))
		w.WriteString(strings.Repeat("]", 100_000))
		w.WriteString("\n")
	case "empty-docs":
		repeat("---\n")
	case "tiny-docs":
		repeat("---\nx\n")
	case "long-scalar":
		w.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\n  annotations:\n    a: ")
		w.WriteString(strings.Repeat("x", *size))
		w.WriteString("\n")
	default:
		fmt.Fprintf(os.Stderr, "hostile: unknown -case %q\n", *kind)
		os.Exit(2)
	}
}

// laughs is one ConfigMap whose data nests levels of width aliases.
func laughs(levels, width int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: NAME}\n")
	b.WriteString("a0: &a0 [\"lol\"]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < width; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}
