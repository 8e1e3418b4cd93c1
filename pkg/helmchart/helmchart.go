// Package helmchart renders a Helm chart directory in process, with the Helm
// library's own template engine (what `helm template` runs), and maps lines
// of the rendered stream back to the template each document came from.
//
// It exists so that `zerodrop check CHART_DIR` checks what the chart would
// install, and reports each finding at the template that produced it, without
// a helm binary or a cluster. Only the chart loader, the value coalescing and
// the engine are used: no repositories, registries or cluster access, so
// rendering is offline and a chart's dependencies must already be in its
// charts/ directory (as `helm dependency build` leaves them).
package helmchart

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
)

// ChartFile is the file that makes a directory a chart.
const ChartFile = "Chart.yaml"

// IsChart reports whether dir is a chart directory (it holds Chart.yaml).
func IsChart(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, ChartFile))
	return err == nil && info.Mode().IsRegular()
}

// Options are `helm template`'s inputs.
type Options struct {
	// ValueFiles are merged in order, later ones winning (-f/--values).
	ValueFiles []string
	// Set are key=value pairs in Helm's --set syntax, applied after the
	// value files, in order.
	Set []string
	// ReleaseName is .Release.Name (default "release-name", as helm
	// template's).
	ReleaseName string
	// Namespace is .Release.Namespace (default "default").
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion, e.g. "1.31" (default: the
	// Helm library's own default).
	KubeVersion string
}

// DefaultReleaseName is the release name helm template uses when none is given.
const DefaultReleaseName = "release-name"

// Render renders the chart in dir and returns the manifest stream in
// `helm template`'s form: every document starts with "---" and a
// "# Source: CHART/templates/FILE" line. NOTES.txt, partials and empty
// documents are left out; hooks are kept (helm template prints them too).
func Render(dir string, opts Options) ([]byte, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", dir, err)
	}
	vals := map[string]any{}
	for _, f := range opts.ValueFiles {
		v, err := common.ReadValuesFile(f)
		if err != nil {
			return nil, fmt.Errorf("--values %s: %w", f, err)
		}
		vals = mergeMaps(vals, v)
	}
	for _, s := range opts.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("--set %s: %w", s, err)
		}
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("chart %s dependencies: %w", dir, err)
	}
	caps := common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, which Kubernetes %s does not meet", dir, ch.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	rel := common.ReleaseOptions{
		Name: first(opts.ReleaseName, DefaultReleaseName), Namespace: first(opts.Namespace, "default"),
		Revision: 1, IsInstall: true,
	}
	top, err := util.ToRenderValues(ch, vals, rel, caps)
	if err != nil {
		return nil, fmt.Errorf("chart %s values: %w", dir, err)
	}
	files, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("rendering chart %s: %w", dir, err)
	}
	return stream(files), nil
}

// sep splits a rendered template into documents, as Helm's own
// releaseutil.SplitManifests does.
var sep = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// stream joins the rendered templates, sorted by name, in helm template's
// layout.
func stream(files map[string]string) []byte {
	names := make([]string, 0, len(files))
	for name := range files {
		if path.Base(name) == "NOTES.txt" || strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, name := range names {
		for _, doc := range sep.Split(files[name], -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", name, strings.TrimRight(strings.TrimLeft(doc, "\n"), "\n"))
		}
	}
	return b.Bytes()
}

// stripComments drops whole-line comments, so a document that is only
// comments counts as empty.
func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bv, ok := v.(map[string]any); ok {
			if av, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(av, bv)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Origin is where a line of the rendered stream came from.
type Origin struct {
	// Template is the template's path on disk (or its name in the chart,
	// for a subchart read from an archive).
	Template string
	// Line is the line in the template where the document starts, as far
	// as it can be told: the start of the document with the same index in
	// the template's source, or 1 when the template makes more documents
	// than it has (a range). 0 when the template is not on disk.
	Line int
	// Document is the 1-based index of the rendered document among those
	// its template produced.
	Document int
}

// SourceMap maps lines of a stream from Render back to templates.
type SourceMap struct {
	starts  []int    // first line of each document in the stream
	origins []Origin // its origin
}

// Map returns where line (1-based, of the rendered stream) came from.
func (m *SourceMap) Map(line int) (Origin, bool) {
	i := sort.SearchInts(m.starts, line+1) - 1
	if i < 0 || i >= len(m.origins) {
		return Origin{}, false
	}
	return m.origins[i], true
}

// NewSourceMap reads the "# Source:" headers of stream, rendered from the
// chart in dir, and locates each document in its template on disk.
func NewSourceMap(dir string, stream []byte) *SourceMap {
	m := &SourceMap{}
	count := map[string]int{}
	lines := bytes.Split(stream, []byte("\n"))
	starts := map[string][]int{}
	for i, l := range lines {
		src, ok := bytes.CutPrefix(l, []byte("# Source: "))
		if !ok || i == 0 || string(bytes.TrimSpace(lines[i-1])) != "---" {
			continue
		}
		name := string(bytes.TrimSpace(src))
		count[name]++
		o := Origin{Template: templatePath(dir, name), Document: count[name]}
		if _, seen := starts[name]; !seen {
			starts[name] = documentStarts(o.Template)
		}
		if s := starts[name]; len(s) > 0 {
			o.Line = s[0]
			if o.Document <= len(s) {
				o.Line = s[o.Document-1]
			}
		}
		m.starts = append(m.starts, i) // the "---" line, 1-based i
		m.origins = append(m.origins, o)
	}
	return m
}

// templatePath turns "CHART/templates/x.yaml" (or a subchart's
// "CHART/charts/SUB/templates/x.yaml") into a path under dir.
func templatePath(dir, name string) string {
	_, rest, ok := strings.Cut(name, "/")
	if !ok {
		return name
	}
	p := filepath.Join(dir, filepath.FromSlash(rest))
	if _, err := os.Stat(p); err != nil {
		return name
	}
	return p
}

// documentStarts returns, for each document of a template's source, the
// line of its first line that is YAML rather than a separator, a comment or
// a template action alone on its line.
func documentStarts(file string) []int {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []int
	pending := true
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "---"):
			pending = true
		case !pending, t == "", strings.HasPrefix(t, "#"), isAction(t):
		default:
			out = append(out, i+1)
			pending = false
		}
	}
	return out
}

// isAction reports whether a trimmed line is only template actions, such as
// "{{- if .Values.x }}".
func isAction(t string) bool {
	for t != "" {
		if !strings.HasPrefix(t, "{{") {
			return false
		}
		end := strings.Index(t, "}}")
		if end < 0 {
			return true // an action that goes on over several lines
		}
		t = strings.TrimSpace(t[end+2:])
	}
	return true
}

// LooksLikeTemplate reports whether file, with contents data, is an
// unrendered Helm template: it has template actions, and a Chart.yaml sits
// in a directory above it (its chart, returned) or it is under a templates/
// directory (chart "" then: not found).
func LooksLikeTemplate(file string, data []byte) (chartDir string, ok bool) {
	if !bytes.Contains(data, []byte("{{")) {
		return "", false
	}
	dir := filepath.Dir(file)
	for range 4 {
		if IsChart(dir) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", strings.Contains("/"+filepath.ToSlash(file), "/templates/")
}
