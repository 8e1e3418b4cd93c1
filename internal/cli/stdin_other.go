//go:build !unix

package cli

import "os"

// pipeReadable cannot poll a pipe without reading it on this platform, so
// the "pass -" hint is left out there.
func pipeReadable(*os.File) bool { return false }
