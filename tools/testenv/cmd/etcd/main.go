// Command etcd is the stock etcd server, built from the etcd Go module so the
// test environment does not need a separately installed etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
