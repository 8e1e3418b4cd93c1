// Command zerodrop finds, fixes and proves away the causes of dropped requests
// when Kubernetes workloads behind AWS load balancers roll, scale or drain.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/zerodrop/zerodrop/internal/cli"
)

func main() {
	// ZERODROP_CPUPROFILE=FILE writes a CPU profile of the whole run, for
	// finding where the time goes on a large input.
	if path := os.Getenv("ZERODROP_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "zerodrop: cpu profile:", err)
			os.Exit(cli.ExitInput)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "zerodrop: cpu profile:", err)
			os.Exit(cli.ExitInput)
		}
		code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	// ZERODROP_MEMPROFILE=FILE writes a heap profile at the end of the run:
	// what is still held then, and everything allocated on the way.
	if path := os.Getenv("ZERODROP_MEMPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "zerodrop: memory profile:", err)
		}
	}
	os.Exit(code)
}
