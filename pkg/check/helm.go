package check

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/zerodrop/zerodrop/pkg/helmchart"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/load"
	"k8s.io/apimachinery/pkg/labels"
)

// ChartStreamPrefix starts the name a rendered chart's stream is read
// under: tools that edit files (zerodrop fix) must not write it back.
const ChartStreamPrefix = "helm template "

// RenderChart renders a Helm chart directory in process, as `helm template`
// does, and returns the name its stream is read under and the stream.
func RenderChart(dir string, opts helmchart.Options) (string, []byte, error) {
	data, err := helmchart.Render(dir, opts)
	return ChartStreamPrefix + filepath.Clean(dir), data, err
}

// AppendChart renders a chart and loads its objects at the template each
// came from (file and the line its document starts at), found through the
// stream's "# Source:" headers. Errors in the rendered output name the
// template too.
func AppendChart(dir string, hopts helmchart.Options, lo load.Options, objs []*load.Object, errs []load.InputError, files int) ([]*load.Object, []load.InputError, int) {
	name, data, err := RenderChart(dir, hopts)
	if err != nil {
		return objs, append(errs, load.InputError{Pos: load.Position{File: dir}, Message: err.Error()}), files
	}
	m := helmchart.NewSourceMap(dir, data)
	at := func(p load.Position) load.Position {
		if o, ok := m.Map(p.Line); ok {
			return load.Position{File: o.Template, Line: o.Line}
		}
		return load.Position{File: name, Line: p.Line}
	}
	prepare := lo.Prepare
	lo.Prepare = func(o *load.Object) {
		// Before the preparer, which may copy it.
		o.Pos = at(o.Pos)
		if prepare != nil {
			prepare(o)
		}
	}
	r := load.Bytes(name, data, lo)
	for _, e := range r.Errors {
		line := e.Pos.Line
		e.Pos = at(e.Pos)
		e.Message = fmt.Sprintf("rendered by %s (line %d of its output): %s", name, line, e.Message)
		errs = append(errs, e)
	}
	return append(objs, r.Objects...), errs, files + r.Files
}

// ChartHint is added to the errors of a file that is an unrendered Helm
// template read as plain YAML.
const ChartHint = "this looks like a Helm chart: pass the chart directory"

// HintCharts adds ChartHint to input errors in files that are Helm
// templates (template actions, under a chart or a templates/ directory),
// naming the chart directory when there is one. Each file is read once, and
// only when it has an error.
func HintCharts(errs []load.InputError) {
	hints := map[string]string{}
	for i, e := range errs {
		hint, seen := hints[e.Pos.File]
		if !seen {
			if data, err := os.ReadFile(e.Pos.File); err == nil {
				if dir, ok := helmchart.LooksLikeTemplate(e.Pos.File, data); ok {
					hint = ChartHint
					if dir != "" {
						hint += " (zerodrop check " + dir + ")"
					}
				}
			}
			hints[e.Pos.File] = hint
		}
		if hint != "" {
			errs[i].Message += "; " + hint
		}
	}
}

// selectObjects keeps the objects whose labels match sel, as kubectl's -l
// does: an unlabelled Service or Namespace is left out too.
func selectObjects(lr *load.Result, sel labels.Selector) *load.Result {
	if sel == nil || sel.Empty() {
		return lr
	}
	out := *lr
	out.Objects = make([]*load.Object, 0, len(lr.Objects))
	for _, o := range lr.Objects {
		if sel.Matches(labels.Set(inventory.LabelsOf(o))) {
			out.Objects = append(out.Objects, o)
		}
	}
	return &out
}
