// Command gen writes a large, synthetic but realistic stream of Kubernetes
// manifests to standard output, for measuring zerodrop on inputs the size of
// a busy cluster (see internal/benchgen).
//
// Usage:
//
//	go run ./bench/gen > /tmp/stream.yaml
//	go run ./bench/gen -objects 100000 -seed 7 > /tmp/100k.yaml
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/zerodrop/zerodrop/internal/benchgen"
)

func main() {
	c := benchgen.Default
	flag.IntVar(&c.Deployments, "deployments", c.Deployments, "number of Deployments")
	flag.IntVar(&c.Services, "services", c.Services, "number of Services (each selects one Deployment)")
	flag.IntVar(&c.PDBs, "pdbs", c.PDBs, "number of PodDisruptionBudgets (policy/v1)")
	flag.IntVar(&c.Ingresses, "ingresses", c.Ingresses, "number of ALB Ingresses")
	flag.IntVar(&c.Namespaces, "namespaces", c.Namespaces, "number of Namespaces the objects are spread over")
	objects := flag.Int("objects", 0, "if set, scale all counts proportionally so the stream holds exactly this many documents")
	seed := flag.Uint64("seed", 1, "random seed; the same seed and flags give the same output")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %v", flag.Args()))
	}
	if *objects > 0 {
		var err error
		if c, err = benchgen.ScaleTo(c, *objects); err != nil {
			fail(err)
		}
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	if err := benchgen.Write(out, c, *seed); err != nil {
		fail(err)
	}
	if err := out.Flush(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(2)
}
