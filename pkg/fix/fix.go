// Package fix applies the patches rules attach to their findings: in the
// user's own files, writing only the lines that change (pkg/yamledit), with
// comments, key order and layout kept; or as kustomize patches for rendered
// output. It checks again after each round, because one fix can make another
// necessary (ip targets change the preStop a pod needs), and stops when the
// check has nothing left to fix.
package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zerodrop/zerodrop/internal/workpool"
	"github.com/zerodrop/zerodrop/pkg/check"
	"github.com/zerodrop/zerodrop/pkg/finding"
	"github.com/zerodrop/zerodrop/pkg/inventory"
	"github.com/zerodrop/zerodrop/pkg/kustomize"
	"github.com/zerodrop/zerodrop/pkg/load"
	"github.com/zerodrop/zerodrop/pkg/yamledit"
)

// maxRounds bounds fix-then-check rounds; each round can only add fixes that
// earlier fixes made necessary, so a few suffice.
const maxRounds = 6

// Options configure a fix run.
type Options struct {
	// Check holds the sources and the check settings.
	Check check.Options
	// DryRun computes everything and writes nothing.
	DryRun bool
	// Rules restricts fixes to these rule IDs when set.
	Rules map[string]bool
	// AllowReplace permits fixes that replace a cloud load balancer.
	AllowReplace bool
	// PatchDir, when set, receives kustomize patches instead of editing files.
	PatchDir string
	// Stdout receives the fixed stream when the input was stdin.
	Stdout io.Writer
	// Progress, when set, hears how far the run is: stage "fixing" counts
	// rounds (of at most total; a run usually ends early), "writing" counts
	// files. The CLI draws a bar from it on a terminal.
	Progress func(stage string, done, total int)
}

// Change is one fix applied.
type Change struct {
	Rule   string        `json:"rule"`
	Object inventory.Ref `json:"object"`
	File   string        `json:"file"`
	What   string        `json:"what"`
	Why    string        `json:"why"`
}

// Skip is a finding that was not fixed, and why.
type Skip struct {
	Rule   string        `json:"rule"`
	Object inventory.Ref `json:"object"`
	File   string        `json:"file"`
	Reason string        `json:"reason"`
}

// Left is a finding fix leaves, and why it cannot fix it in the files.
type Left struct {
	Rule     string           `json:"rule"`
	Severity finding.Severity `json:"severity"`
	Object   inventory.Ref    `json:"object"`
	File     string           `json:"file"`
	Line     int              `json:"line"`
	Reason   string           `json:"reason"`
}

// FileResult is the outcome for one file.
type FileResult struct {
	Path    string `json:"path"`
	Created bool   `json:"created"`
	Written bool   `json:"written"`
	// Encoding is how the file is stored (UTF-8, UTF-16LE...); fix keeps it.
	Encoding string `json:"encoding"`
	// Before and After are the file's text (UTF-8), for a diff; Data is
	// After stored in the file's encoding, the bytes written.
	Before []byte `json:"-"`
	After  []byte `json:"-"`
	Data   []byte `json:"-"`
	Error  string `json:"error,omitempty"`
}

// Result is what a fix run did.
type Result struct {
	Changes []Change           `json:"changes"`
	Skipped []Skip             `json:"skipped"`
	Files   []FileResult       `json:"files"`
	Errors  []check.InputError `json:"errors"`
	// Remaining are the findings left after fixing (unsuppressed); Left
	// says for each, in the same order, why fix did not make it go away.
	Remaining []finding.Finding `json:"remaining"`
	Left      []Left            `json:"left"`
	// Adopted lists files an earlier fix created, read as input this time
	// (fix finds them where it writes them) rather than written again.
	Adopted []string `json:"adopted,omitempty"`
	Rounds  int      `json:"rounds"`
	// Patches lists the patch files written in patch mode.
	Patches []string `json:"patches,omitempty"`
}

// state is the in-memory set of files being fixed.
type state struct {
	files   map[string]*file
	order   []string
	patches map[inventory.Ref]*accumulated
	created map[inventory.Ref]map[string]any
	// origins traces the objects of kustomize builds to their sources.
	origins map[kustomize.ObjectKey]kustomize.Origin
}

type accumulated struct {
	ref  inventory.Ref
	body map[string]any
}

// Run fixes what the check finds in the sources.
func Run(ctx context.Context, opts Options) (*Result, error) {
	res := &Result{Changes: []Change{}, Skipped: []Skip{}, Files: []FileResult{}, Errors: []check.InputError{}, Remaining: []finding.Finding{}, Left: []Left{}}
	st := &state{files: map[string]*file{}, patches: map[inventory.Ref]*accumulated{}, created: map[inventory.Ref]map[string]any{}}
	if err := st.read(ctx, opts); err != nil {
		return nil, err
	}
	defer st.toSources(res)
	lo := opts.Check.Load
	lo.Prepare = inventory.Preparer(opts.Check.Namespace)
	cur := st.analyze(opts.Check, lo)
	for i := 0; i < maxRounds && st.adopt(cur, res); i++ {
		cur = st.analyze(opts.Check, lo)
	}
	if e := check.NoObjects(len(cur.objects), opts.Check); e != nil {
		res.Errors = append(res.Errors, check.InputError{File: e.Pos.File, Line: e.Pos.Line, Message: e.Message})
	}
	res.Errors = append(res.Errors, cur.res.Errors...)
	for _, e := range cur.res.Errors {
		if f := st.files[e.File]; f != nil && f.blocked == "" {
			f.blocked = fmt.Sprintf("%s has input errors (line %d: %s); it is not rewritten", e.File, e.Line, e.Message)
		}
	}
	skipped := map[string]bool{}
	// applied[i] is the document res.Changes[i] edited (nil for new objects).
	var applied []*doc
	for round := 1; round <= maxRounds; round++ {
		res.Rounds = round
		opts.progress("fixing", round-1, maxRounds)
		changed := false
		roundStart := len(res.Changes)
		st.preparse(cur, opts)
		for i := range cur.res.Findings {
			f := &cur.res.Findings[i]
			if f.Suppressed || f.Patch == nil || (opts.Rules != nil && !opts.Rules[f.Rule]) {
				continue
			}
			ok, reason, d := st.apply(f, cur, opts)
			if ok {
				changed = true
				applied = append(applied, d)
				res.Changes = append(res.Changes, Change{Rule: f.Rule, Object: f.Patch.Target, File: st.fileOf(f, cur), What: f.Patch.What, Why: f.Message})
				continue
			}
			key := f.Rule + "|" + f.Patch.Target.String() + "|" + f.Container + "|" + reason
			if !skipped[key] {
				skipped[key] = true
				res.Skipped = append(res.Skipped, Skip{Rule: f.Rule, Object: f.Patch.Target, File: f.File, Reason: reason})
			}
		}
		if !changed {
			break
		}
		failed, err := st.render(opts.PatchDir != "")
		if err != nil {
			return nil, err
		}
		if len(failed) > 0 {
			// This round's changes to those documents did not happen;
			// earlier rounds' are in their text.
			kept, keptDocs := res.Changes[:roundStart:roundStart], applied[:roundStart:roundStart]
			for i := roundStart; i < len(res.Changes); i++ {
				c := res.Changes[i]
				if reason, ok := failed[applied[i]]; ok && applied[i] != nil {
					res.Skipped = append(res.Skipped, Skip{Rule: c.Rule, Object: c.Object, File: c.File, Reason: reason})
					continue
				}
				kept, keptDocs = append(kept, c), append(keptDocs, applied[i])
			}
			res.Changes, applied = kept, keptDocs
		}
		cur = st.analyze(opts.Check, lo)
	}
	res.remaining(cur, opts)
	for _, path := range st.order {
		f := st.files[path]
		after := f.content()
		if !f.created && bytes.Equal(after, f.orig) {
			continue
		}
		fr := FileResult{Path: path, Created: f.created, Encoding: f.enc.String(), Before: f.orig, After: after, Data: f.enc.Encode(after)}
		if err := f.verify(); err != nil {
			fr.Error = err.Error()
		}
		res.Files = append(res.Files, fr)
	}
	if opts.DryRun {
		return res, nil
	}
	if opts.PatchDir != "" {
		paths, err := st.writePatchDir(opts.PatchDir)
		res.Patches = paths
		return res, err
	}
	defer st.settle(res, opts, lo)
	for i := range res.Files {
		opts.progress("writing", i, len(res.Files))
		fr := &res.Files[i]
		f := st.files[fr.Path]
		switch {
		case fr.Error != "":
		case f.path == load.StdinName:
			if opts.Stdout != nil {
				if _, err := opts.Stdout.Write(fr.Data); err != nil {
					fr.Error = err.Error()
				}
			}
		case strings.HasPrefix(f.path, "kustomize build "):
			fr.Error = "kustomize output cannot be edited in place; use -o patch"
		case strings.HasPrefix(f.path, check.ChartStreamPrefix):
			fr.Error = "a chart's templates are not edited; use -o patch and apply the patches as a post-renderer"
		case f.created:
			if err := writer.Create(fr.Path, fr.Data); err != nil {
				fr.Error = err.Error()
			} else {
				fr.Written = true
			}
		default:
			if err := writer.Replace(fr.Path, fr.Data, f.raw); err != nil {
				fr.Error = err.Error()
			} else {
				fr.Written = true
			}
		}
	}
	opts.progress("writing", len(res.Files), len(res.Files))
	return res, nil
}

// progress reports to opts.Progress when it is set.
func (opts Options) progress(stage string, done, total int) {
	if opts.Progress != nil {
		opts.Progress(stage, done, total)
	}
}

// read loads every source file into memory.
func (st *state) read(ctx context.Context, opts Options) error {
	for _, k := range opts.Check.Kustomizations {
		b, err := kustomize.Build(k)
		if err != nil {
			return err
		}
		st.add(newFile(b.Name, b.Data))
		if st.origins == nil {
			st.origins = map[kustomize.ObjectKey]kustomize.Origin{}
		}
		for key, o := range b.Origins {
			st.origins[key] = o
		}
	}
	for _, c := range opts.Check.Charts {
		name, data, err := check.RenderChart(c, opts.Check.Helm)
		if err != nil {
			return err
		}
		st.add(newFile(name, data))
	}
	var stdin []byte
	for _, p := range opts.Check.Paths {
		if p == "-" && stdin == nil {
			b, err := io.ReadAll(opts.Check.Stdin)
			if err != nil {
				return fmt.Errorf("reading stdin: %w", err)
			}
			stdin = b
			st.add(newFile(load.StdinName, b))
		}
	}
	// Read the files the loader would read, exactly as check finds them.
	for _, ref := range load.ListFiles(ctx, withoutStdin(opts.Check.Paths), opts.Check.Load) {
		info, err := os.Stat(ref.Path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(ref.Path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", ref.Path, err)
		}
		f := newFile(ref.Path, data)
		f.discovered = ref.Discovered
		st.add(f)
	}
	return nil
}

func withoutStdin(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p != "-" {
			out = append(out, p)
		}
	}
	return out
}

func (st *state) add(f *file) {
	if _, ok := st.files[f.path]; !ok {
		st.order = append(st.order, f.path)
	}
	st.files[f.path] = f
}

// round is one check over the in-memory files.
type round struct {
	res *check.Result
	// objects by kind/namespace/name; the same identity may appear in two
	// files (the input is then ambiguous, and positions decide).
	objects map[inventory.Ref][]*load.Object
}

func (st *state) analyze(co check.Options, lo load.Options) *round {
	lr := &load.Result{}
	for _, path := range st.order {
		r := st.files[path].load(lo)
		lr.Objects = append(lr.Objects, r.Objects...)
		lr.Errors = append(lr.Errors, r.Errors...)
		lr.Skipped += r.Skipped
		lr.Files += r.Files
	}
	res := check.Analyze(lr, co)
	objs := make(map[inventory.Ref][]*load.Object, len(lr.Objects))
	for _, o := range lr.Objects {
		k := inventory.Ref{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
		objs[k] = append(objs[k], o)
	}
	return &round{res: res, objects: objs}
}

// lookup finds the object a finding's patch targets, whatever its version:
// the one at the finding's position when the finding is on that object.
func (r *round) lookup(f *finding.Finding) *load.Object {
	ref := f.Patch.Target
	cands := r.objects[inventory.Ref{Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}]
	for _, o := range cands {
		if o.Pos.File == f.File && o.Pos.Line == f.Line {
			return o
		}
	}
	if len(cands) > 0 {
		return cands[0]
	}
	return nil
}

func (st *state) fileOf(f *finding.Finding, cur *round) string {
	if o := cur.lookup(f); o != nil {
		return o.Pos.File
	}
	if f.Patch.Create != nil {
		return createdPath(f.Patch)
	}
	return f.File
}

// apply applies one finding's patch to the in-memory files, and returns the
// document it edited.
func (st *state) apply(f *finding.Finding, cur *round, opts Options) (bool, string, *doc) {
	ok, reason, d := st.applyPatch(f, cur, opts)
	if !ok {
		d = nil
	}
	return ok, reason, d
}

func (st *state) applyPatch(f *finding.Finding, cur *round, opts Options) (bool, string, *doc) {
	p := f.Patch
	if p.Replaces && !opts.AllowReplace {
		return false, "this change replaces the load balancer (new DNS name, new target groups); rerun with --allow-replace to apply it", nil
	}
	if p.Merge != nil {
		o := cur.lookup(f)
		if o == nil {
			return false, p.Target.String() + " is not in the input", nil
		}
		file := st.files[o.Pos.File]
		if file == nil {
			return false, "the file of " + p.Target.String() + " was not read", nil
		}
		if file.blocked != "" {
			return false, file.blocked, nil
		}
		d := file.docAt(o.Pos.Line)
		if d == nil {
			return false, "no document at " + o.Pos.String(), nil
		}
		if d.blocked == "" && load.OddLineBreaks(d.body) {
			// go-yaml ends lines where the file does not: the lines of
			// its tree are not the text's, and an edit would land wrong.
			d.blocked = fmt.Sprintf("%s line %d: the document has line breaks other than LF and CR LF (a lone CR, NEL, LS or PS); fix it by hand", file.path, d.firstLine)
		}
		if d.blocked != "" {
			return false, d.blocked, nil
		}
		node, err := d.parse()
		if err != nil {
			return false, fmt.Sprintf("%s cannot be edited: %v", o.Pos, err), nil
		}
		if o.FromList {
			// The item of a List that starts on the object's line.
			node = listItem(node, o.Pos.Line-d.firstLine+1)
			if node == nil {
				return false, fmt.Sprintf("no item of the List at %s", o.Pos), nil
			}
		}
		if !matches(node, p.Target) {
			return false, fmt.Sprintf("the document at %s is not %s", o.Pos, p.Target), nil
		}
		if d.edits == nil {
			d.edits = &yamledit.Edits{}
		}
		if err := yamledit.Merge(node, p.Merge, d.edits); err != nil {
			return false, fmt.Sprintf("%s: %v", o.Pos, err), nil
		}
		d.dirty = true
		acc := st.patches[p.Target]
		if acc == nil {
			acc = &accumulated{ref: p.Target}
			st.patches[p.Target] = acc
		}
		body, err := yamledit.MergeBodies(acc.body, p.Merge)
		if err != nil {
			return false, err.Error(), nil
		}
		acc.body = body
		return true, "", d
	}
	if p.Create != nil && p.Near == load.StdinName {
		// A stream in gives a stream out: the new object joins it.
		in := st.files[load.StdinName]
		if in.blocked != "" {
			return false, in.blocked, nil
		}
		body, err := in.style().Object(p.Create, fmt.Sprintf("# Written by zerodrop fix (%s): %s", f.Rule, p.What))
		if err != nil {
			return false, err.Error(), nil
		}
		cur := in.content()
		if len(cur) > 0 && cur[len(cur)-1] != '\n' {
			in.docs[len(in.docs)-1].body = append(in.docs[len(in.docs)-1].body, '\n')
		}
		in.docs = append(in.docs, &doc{sep: []byte("---\n"), body: body})
		in.renumber()
		st.created[p.Target] = p.Create
		return true, "", nil
	}
	if p.Create != nil {
		path := createdPath(p)
		if _, ok := st.files[path]; ok {
			return false, path + " already holds an object zerodrop did not write; add it by hand", nil
		}
		if _, err := os.Lstat(path); err == nil {
			return false, path + " exists; add the object by hand", nil
		}
		st2 := yamledit.Layout{Unit: 2, NL: "\n"}
		if near := st.files[p.Near]; near != nil {
			st2 = near.style()
		}
		b, err := st2.Object(p.Create, fmt.Sprintf("# Written by zerodrop fix (%s): %s", f.Rule, p.What))
		if err != nil {
			return false, err.Error(), nil
		}
		nf := newFile(path, b)
		nf.created = true
		nf.orig = nil
		st.add(nf)
		st.created[p.Target] = p.Create
		return true, "", nil
	}
	return false, "no applicable change", nil
}

// createdPath is where a new object is written: next to the file it
// belongs with, named for the object.
func createdPath(p *finding.Patch) string {
	dir := "."
	if p.Near != "" && p.Near != load.StdinName && !strings.HasPrefix(p.Near, "kustomize build ") {
		dir = filepath.Dir(p.Near)
	}
	return filepath.Join(dir, strings.ToLower(p.Target.Name+"-"+p.Target.Kind)+".yaml")
}

// render writes the changes of every edited document into its text. A
// document that cannot hold its changes is left as it was, blocked, and
// returned with the reason.
//
// In patch mode the text is never written, only re-checked from the tree,
// so a document the writer cannot print faithfully is no obstacle.
func (st *state) render(patchMode bool) (map[*doc]string, error) {
	type job struct {
		d    *doc
		json bool
		path string
	}
	var jobs []job
	for _, path := range st.order {
		f := st.files[path]
		for _, d := range f.docs {
			if d.dirty {
				jobs = append(jobs, job{d, f.json, path})
			}
		}
	}
	errs := make([]error, len(jobs))
	eachParallel(len(jobs), func(i int) {
		errs[i] = jobs[i].d.render(jobs[i].json)
	})
	failed := map[*doc]string{}
	for i, j := range jobs {
		switch err := errs[i]; {
		case errors.Is(err, yamledit.ErrUnfaithful) && !patchMode:
			failed[j.d] = fmt.Sprintf("%s line %d: %v", j.path, j.d.firstLine, err)
			// Read again from its text, which is unchanged.
			j.d.blocked, j.d.node, j.d.edits, j.d.dirty, j.d.known, j.d.stale = failed[j.d], nil, nil, false, false, false
		case err != nil && !errors.Is(err, yamledit.ErrUnfaithful):
			return nil, fmt.Errorf("%s: %w", j.path, err)
		default:
			// A tree its text does not hold (patch mode) stays for the
			// next round's merges.
			j.d.dirty, j.d.stale, j.d.keepTree = false, true, err != nil
		}
	}
	for _, path := range st.order {
		st.files[path].renumber()
	}
	return failed, nil
}

// preparse parses, on every CPU, the documents this round's patches will
// edit, so that applying them in order only merges.
func (st *state) preparse(cur *round, opts Options) {
	seen := map[*doc]bool{}
	var docs []*doc
	for i := range cur.res.Findings {
		f := &cur.res.Findings[i]
		if f.Suppressed || f.Patch == nil || f.Patch.Merge == nil || (opts.Rules != nil && !opts.Rules[f.Rule]) {
			continue
		}
		o := cur.lookup(f)
		if o == nil {
			continue
		}
		file := st.files[o.Pos.File]
		if file == nil || file.blocked != "" {
			continue
		}
		if d := file.docAt(o.Pos.Line); d != nil && d.node == nil && !seen[d] {
			seen[d] = true
			docs = append(docs, d)
		}
	}
	// Errors surface again, with their position, when the patch is applied.
	eachParallel(len(docs), func(i int) { docs[i].parse() })
	// The loader's trees of documents no fix touches are not needed again.
	for _, path := range st.order {
		for _, d := range st.files[path].docs {
			d.parsed = nil
		}
	}
}

// eachParallel calls fn(i) for every i < n on GOMAXPROCS goroutines.
func eachParallel(n int, fn func(int)) {
	workpool.Each(n, 0, func(i int) error { fn(i); return nil })
}

// settle makes the result say what is on disk when some writes failed: the
// changes to those files become skips with the error, and the findings left
// are those of the files as they now are.
func (st *state) settle(res *Result, opts Options, lo load.Options) {
	failed := map[string]string{}
	for _, fr := range res.Files {
		if fr.Error != "" {
			failed[fr.Path] = fr.Error
		}
	}
	if len(failed) == 0 {
		return
	}
	var kept []Change
	for _, c := range res.Changes {
		if reason, ok := failed[c.File]; ok {
			res.Skipped = append(res.Skipped, Skip{Rule: c.Rule, Object: c.Object, File: c.File, Reason: "not written: " + reason})
			continue
		}
		kept = append(kept, c)
	}
	res.Changes = append([]Change{}, kept...)
	for path := range failed {
		f := st.files[path]
		if f.created {
			delete(st.files, path)
			continue
		}
		f.docs = splitFile(f.orig)
		f.indexed = false
	}
	var order []string
	for _, p := range st.order {
		if _, ok := st.files[p]; ok {
			order = append(order, p)
		}
	}
	st.order = order
	res.remaining(st.analyze(opts.Check, lo), opts)
}

// toSources reports changes, skips and findings left on objects of a
// kustomize build at the source files they come from.
func (st *state) toSources(res *Result) {
	if len(st.origins) == 0 {
		return
	}
	src := func(r inventory.Ref, file string, line int) (string, int) {
		if !strings.HasPrefix(file, "kustomize build ") {
			return file, line
		}
		if o, ok := st.origins[kustomize.ObjectKey{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}]; ok && o.File != "" {
			return o.File, o.Line
		}
		return file, line
	}
	for i := range res.Changes {
		res.Changes[i].File, _ = src(res.Changes[i].Object, res.Changes[i].File, 0)
	}
	for i := range res.Skipped {
		res.Skipped[i].File, _ = src(res.Skipped[i].Object, res.Skipped[i].File, 0)
	}
	for i := range res.Left {
		res.Left[i].File, res.Left[i].Line = src(res.Left[i].Object, res.Left[i].File, res.Left[i].Line)
	}
}

// remaining records the findings left, each with the reason fix leaves it.
func (res *Result) remaining(cur *round, opts Options) {
	res.Remaining, res.Left = []finding.Finding{}, []Left{}
	for _, f := range cur.res.Findings {
		if f.Suppressed {
			continue
		}
		res.Remaining = append(res.Remaining, f)
		res.Left = append(res.Left, Left{Rule: f.Rule, Severity: f.Severity, Object: f.Object, File: f.File, Line: f.Line, Reason: res.why(&f, opts)})
	}
}

// why says why a finding is left after fixing.
func (res *Result) why(f *finding.Finding, opts Options) string {
	switch {
	case f.Patch == nil:
		return "no change in the manifests fixes it: " + f.Fix
	case opts.Rules != nil && !opts.Rules[f.Rule]:
		return "not among the rules to fix (--rules)"
	}
	for i := len(res.Skipped) - 1; i >= 0; i-- {
		if s := res.Skipped[i]; s.Rule == f.Rule && s.Object == f.Patch.Target {
			return s.Reason
		}
	}
	return fmt.Sprintf("its change was applied but the finding is still reported after %d rounds", res.Rounds)
}

// adopt reads, as input, the files an earlier fix created: a finding that
// asks for a new object names the file fix writes it to, and when that file
// exists and holds the object, the object is read from it rather than
// reported missing (which made a second fix fail on the file). It reports
// whether it read any.
func (st *state) adopt(cur *round, res *Result) bool {
	added := false
	for i := range cur.res.Findings {
		f := &cur.res.Findings[i]
		p := f.Patch
		if f.Suppressed || p == nil || p.Create == nil || p.Near == load.StdinName || strings.HasPrefix(p.Near, "kustomize build ") {
			continue
		}
		path := createdPath(p)
		if _, ok := st.files[path]; ok {
			continue
		}
		info, err := os.Lstat(path)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		nf := newFile(path, data)
		holds := false
		for _, o := range load.Stream(path, nf.orig, false, load.Options{}).Objects {
			if o.Kind == p.Target.Kind && o.Name == p.Target.Name && (o.Namespace == "" || o.Namespace == p.Target.Namespace) {
				holds = true
			}
		}
		if holds {
			st.add(nf)
			res.Adopted = append(res.Adopted, path)
			added = true
		}
	}
	return added
}
