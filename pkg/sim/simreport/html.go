package simreport

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/zerodrop/zerodrop/internal/chartscale"
	"github.com/zerodrop/zerodrop/pkg/sim"
)

// HTML writes one page with, for each result, its summary and four charts
// drawn as inline SVG: requests per second (ok and failed), healthy and
// routable targets, pods by phase, and the event log as marks on a time
// axis. The page has no scripts and loads nothing.
func HTML(w io.Writer, rep *sim.Report) error {
	type section struct {
		R       sim.Result
		Summary string
		Charts  template.HTML
	}
	var secs []section
	for _, r := range rep.Results {
		var sb strings.Builder
		one := *rep
		one.Results = []sim.Result{r}
		one.Plans, one.Assumptions = nil, nil
		if err := Text(&sb, &one); err != nil {
			return err
		}
		secs = append(secs, section{R: r, Summary: sb.String(), Charts: template.HTML(charts(&r))})
	}
	var plans strings.Builder
	if len(rep.Plans) > 0 {
		one := *rep
		one.Results, one.Assumptions = nil, nil
		if err := Text(&plans, &one); err != nil {
			return err
		}
	}
	return page.Execute(w, struct {
		Rep      *sim.Report
		Sections []section
		Plans    string
	}{rep, secs, strings.TrimSpace(plans.String())})
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>zerodrop simulate</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1080px;color:#222;padding:0 12px}
h1{font-size:20px}h2{font-size:16px;margin-top:36px;border-top:1px solid #ddd;padding-top:16px}
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:12px}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
</style></head><body>
<h1>zerodrop simulate</h1>
<p>Seed {{.Rep.Seed}}, {{.Rep.Runs}} run(s) per result. Charts show the first run; times are seconds from the start of the run (the event starts at the dashed purple line).</p>
{{range .Sections}}<h2>{{.R.Workload}} — {{.R.Variant}}, {{.R.Event}}</h2>
<pre>{{.Summary}}</pre>
{{.Charts}}
{{end}}{{if .Plans}}<h2>Rollout plans</h2><pre>{{.Plans}}</pre>{{end}}
{{if .Rep.Assumptions}}<h2>Assumptions</h2><ul>{{range .Rep.Assumptions}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

const (
	cw    = 1000.0 // chart width
	left  = 64.0
	right = 16.0
	plotW = cw - left - right
)

var (
	colOK     = "#43a047"
	colFail   = "#e53935"
	colPhases = [4]string{"#b0bec5", "#ffb300", "#1e88e5", "#8e24aa"}
)

// bucketed groups a timeline into at most n bars.
type bar struct {
	from, width float64
	ok, failed  int64
	healthy     int32
	routable    int32
	pods        [4]int32
}

func bucket(tl []sim.Point, n int) (float64, []bar) {
	width := 1.0
	for _, w := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600} {
		width = w
		if float64(len(tl))/w <= float64(n) {
			break
		}
	}
	var out []bar
	for i, pt := range tl {
		k := int(float64(i) / width)
		for len(out) <= k {
			out = append(out, bar{from: float64(len(out)) * width, width: width})
		}
		b := &out[k]
		b.ok += pt.OK
		b.failed += pt.Failed
		if float64(i) == b.from { // gauges: the value at the bar's start
			b.healthy, b.routable = pt.Healthy, pt.Routable
			for j, ph := range sim.Phases() {
				b.pods[j] = pt.Pods[ph.String()]
			}
		}
	}
	return width, out
}

func charts(r *sim.Result) string {
	if len(r.Timeline) == 0 {
		return ""
	}
	width, bars := bucket(r.Timeline, 500)
	span := float64(len(r.Timeline))
	x := func(t float64) float64 { return left + plotW*math.Max(0, math.Min(t, span))/span }
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	esc := template.HTMLEscapeString

	panel := func(title string, h float64, top float64, ymax float64, legend string) {
		p(`<text x="%.0f" y="%.0f" font-weight="bold">%s</text>`, left, top-8, esc(title))
		if legend != "" {
			p(`<text x="%.0f" y="%.0f" text-anchor="end">%s</text>`, cw-right, top-8, esc(legend))
		}
		for i := 0; i <= 4; i++ {
			y := top + h - h*float64(i)/4
			p(`<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/>`, left, cw-right, y, y)
			p(`<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`, left-4, y+4, num(math.Round(ymax*float64(i)/4*10)/10))
		}
		p(`<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#999"/>`, left, cw-right, top+h, top+h)
	}
	const h1, h2, h3 = 170.0, 110.0, 110.0
	top1 := 30.0
	top2 := top1 + h1 + 46
	top3 := top2 + h2 + 46
	axis := top3 + h3
	total := axis + 70
	p(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-label="simulation timeline">`, cw, total)
	p(`<style>text{font:11px sans-serif;fill:#333}</style>`)

	// Failure windows, shaded behind every panel.
	for _, c := range r.Causes {
		x0, x1 := x(c.From), x(c.To+1)
		p(`<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="#fde0e0"><title>%s</title></rect>`,
			x0, top1, math.Max(1.5, x1-x0), axis-top1, esc(fmt.Sprintf("%s: %d requests (%s)", c.Cause, c.Count, c.Class)))
	}

	// Requests per second.
	maxRate := 1.0
	for _, k := range bars {
		maxRate = math.Max(maxRate, float64(k.ok+k.failed)/width)
	}
	maxRate = chartscale.NiceCeil(maxRate)
	panel("requests per second", h1, top1, maxRate, "ok (green), failed (red)")
	bw := math.Max(0.6, plotW*width/span-0.3)
	for _, k := range bars {
		okH := h1 * float64(k.ok) / width / maxRate
		fH := h1 * float64(k.failed) / width / maxRate
		tip := esc(fmt.Sprintf("%gs: %d ok, %d failed", k.from, k.ok, k.failed))
		if okH > 0 {
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x(k.from), top1+h1-okH, bw, okH, colOK, tip)
		}
		if fH > 0 {
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x(k.from), top1+h1-okH-fH, bw, math.Max(fH, 1), colFail, tip)
		}
	}

	// Targets.
	maxT := 1.0
	for _, k := range bars {
		maxT = math.Max(maxT, float64(max(k.healthy, k.routable)))
	}
	maxT = chartscale.NiceCeil(maxT)
	panel("load balancer targets", h2, top2, maxT, "healthy (blue), routed to (orange, dashed)")
	line := func(color, dash string, v func(bar) float64, top, h, ymax float64) {
		var pts []string
		for _, k := range bars {
			y := top + h - h*v(k)/ymax
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x(k.from), y, x(k.from+k.width), y))
		}
		p(`<polyline fill="none" stroke="%s" stroke-width="1.6" stroke-dasharray="%s" points="%s"/>`, color, dash, strings.Join(pts, " "))
	}
	line("#1e88e5", "", func(k bar) float64 { return float64(k.healthy) }, top2, h2, maxT)
	line("#fb8c00", "4,3", func(k bar) float64 { return float64(k.routable) }, top2, h2, maxT)

	// Pods by phase, stacked.
	maxP := 1.0
	for _, k := range bars {
		maxP = math.Max(maxP, float64(k.pods[0]+k.pods[1]+k.pods[2]+k.pods[3]))
	}
	maxP = chartscale.NiceCeil(maxP)
	var leg []string
	for i, ph := range sim.Phases() {
		leg = append(leg, ph.String())
		_ = i
	}
	panel("pods by phase", h3, top3, maxP, "pending (grey), starting (amber), ready (blue), terminating (purple)")
	for _, k := range bars {
		y := top3 + h3
		for i := range 4 {
			hh := h3 * float64(k.pods[i]) / maxP
			if hh <= 0 {
				continue
			}
			y -= hh
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`,
				x(k.from), y, bw, hh, colPhases[i], esc(fmt.Sprintf("%gs: %d %s", k.from, k.pods[i], leg[i])))
		}
	}

	// Event start and end.
	vline := func(t float64, color, dash, label string, row float64) {
		xe := x(t)
		p(`<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="%s" stroke-dasharray="%s"/>`, xe, xe, top1-4, axis, color, dash)
		p(`<text x="%.1f" y="%.0f" fill="%s" style="fill:%s">%s</text>`, xe+3, top1+10+row*13, color, color, esc(label))
	}
	vline(r.EventAt, "#6a1b9a", "5,3", string(r.Event)+" starts", 0)
	if r.RolloutSeconds != nil {
		vline(r.EventAt+*r.RolloutSeconds, "#6a1b9a", "", string(r.Event)+" done", 1)
	}

	// Time axis, then the event log as ticks with tooltips.
	step := chartscale.NiceCeil(span / 10)
	for t := 0.0; t <= span+1e-9; t += step {
		p(`<text x="%.1f" y="%.0f" text-anchor="middle">%ss</text>`, x(t), axis+14, num(t))
	}
	p(`<text x="%.0f" y="%.0f">events (hover for details)</text>`, left, axis+34)
	for _, e := range r.Events {
		xe := x(e.At)
		p(`<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#555"><title>%s</title></line>`, xe, xe, axis+40, axis+60,
			esc(fmt.Sprintf("%.1fs %s", e.At, e.What)))
	}
	p(`</svg>`)
	return b.String()
}
