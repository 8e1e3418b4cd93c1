// Command zerodrop finds, fixes and proves away the causes of dropped requests
// when Kubernetes workloads behind AWS load balancers roll, scale or drain.
package main

import (
	"os"

	"github.com/zerodrop/zerodrop/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
