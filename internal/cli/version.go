package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X github.com/zerodrop/zerodrop/internal/cli.version=v1.2.3"
// (release builds do); otherwise the module version from the build info is used.
var version = ""

// Version returns the build's version.
func Version() string { return readBuildInfo().Version }

// BuildInfo is what `zerodrop version` prints: where the binary came from.
// Everything is read from the build info the Go linker embeds, so a binary
// built with `go install module@version`, `go build` in a checkout, or a
// release pipeline all describe themselves without extra build steps.
type BuildInfo struct {
	// Version is the module version (v1.2.3, a pseudo-version, or "dev"
	// for a build in a checkout).
	Version string `json:"version"`
	// Revision is the VCS commit the binary was built from, when known.
	Revision string `json:"revision,omitempty"`
	// Dirty is true when the working tree had uncommitted changes.
	Dirty bool `json:"dirty"`
	// BuildDate is the commit's time (RFC 3339): a reproducible build has
	// no other date to give.
	BuildDate string `json:"buildDate,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func readBuildInfo() BuildInfo {
	bi, _ := debug.ReadBuildInfo()
	return buildInfoFrom(bi, version)
}

// buildInfoFrom reads bi; override, when set, replaces the version.
func buildInfoFrom(bi *debug.BuildInfo, override string) BuildInfo {
	out := BuildInfo{Version: "dev", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			out.GoVersion = bi.GoVersion
		}
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			out.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				out.Revision = s.Value
			case "vcs.modified":
				out.Dirty = s.Value == "true"
			case "vcs.time":
				out.BuildDate = s.Value
			case "GOOS":
				out.Platform = s.Value + out.Platform[strings.IndexByte(out.Platform, '/'):]
			case "GOARCH":
				out.Platform = out.Platform[:strings.IndexByte(out.Platform, '/')+1] + s.Value
			}
		}
	}
	if override != "" {
		out.Version = override
	}
	return out
}

// Text is the human form: one line with everything that identifies the build.
func (b BuildInfo) Text() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "zerodrop %s", b.Version)
	if b.Revision != "" {
		rev := b.Revision
		if b.Dirty {
			rev += "-dirty"
		}
		fmt.Fprintf(&sb, "\n  revision:   %s", rev)
	}
	if b.BuildDate != "" {
		fmt.Fprintf(&sb, "\n  build date: %s", b.BuildDate)
	}
	fmt.Fprintf(&sb, "\n  go:         %s\n  platform:   %s\n", b.GoVersion, b.Platform)
	return sb.String()
}

func (b BuildInfo) write(w io.Writer, output string) error {
	switch output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(b)
	case "text", "":
		_, err := io.WriteString(w, b.Text())
		return err
	}
	return usageError("--output %q: want text or json", output)
}

func newVersionCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print zerodrop's version, commit, build date and Go version",
		Long: `Version prints what the binary was built from, as recorded by the Go
toolchain: the module version, the VCS revision (with -dirty when the tree had
uncommitted changes), the commit time as the build date, the Go version and
the platform. -o json prints the same as one JSON object for scripts.`,
		Example: `  zerodrop version
  zerodrop version -o json
  zerodrop --version`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return readBuildInfo().write(c.OutOrStdout(), output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return c
}
