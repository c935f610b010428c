package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Source says where the estimate of a [Group] is written, and so what the
// lead edits to change it.
type Source string

const (
	// InPlan is a step written in the plan file: its duration line is
	// rewritten in [Calibration.Diff].
	InPlan Source = "plan"
	// InRunbook is a runbook template step: every step expanded from it
	// shares its one estimate, written in the template.
	InRunbook Source = "runbook"
	// InItem is a template step that takes each step's duration from a
	// plan item (a site procedure, a trip, a cool-down) or the grace
	// period: each step is a group of its own, reported but not rewritten.
	InItem Source = "item"
)

// Measurement is how long one step took in the run: from its last start
// to its completion.
type Measurement struct {
	Step               string
	Started, Completed time.Time
	Actual             time.Duration
	// Ratio is Actual over the step's likely duration in the plan.
	Ratio float64
}

// Recording is what a recorded run tells [Calibrate]: the run's name,
// the plan file it was started from, and how long its completed steps took.
type Recording struct {
	Run string
	// File and Hash are the plan file the run was started from and the hex
	// SHA-256 of its bytes then (empty: not recorded).
	File, Hash string
	// Rehearsal marks a run recorded as a dress rehearsal.
	Rehearsal bool
	// Done holds, by step id, the steps of the run that were started and
	// completed, from their last start to their completion; Calibrate sets
	// their Ratio.
	Done map[string]Measurement
}

// Group is the steps that share one estimate — the expansions of one
// runbook template step, or one step of the plan — with what the run
// measured and the estimate it proposes.
type Group struct {
	// ID is the step id, or the template step id ("unrack-<id>").
	ID     string
	Source Source
	Phase  string
	// Steps are the plan's steps that share the estimate, in plan order.
	Steps    []string
	Measured []Measurement
	Planned  Duration
	// Median, Min and Max summarise Measured; zero when nothing was
	// measured.
	Median, Min, Max time.Duration
	// Ratio is Median over Planned.Likely; for a group that was not
	// measured, its phase's factor (0: the phase has no measurement).
	Ratio float64
	// Proposed is the estimate to write instead of Planned; equal to
	// Planned when Unchanged.
	Proposed Duration
	// Change is the relative change of the likely duration that the
	// measurements call for: 0.75 is 75% longer.
	Change float64
	// Unchanged marks a group whose measurements stay close to the plan
	// (likely within 10%, every measurement inside the planned range):
	// its estimate is kept.
	Unchanged bool
	// Pos is where the estimate is written: the plan step, or the
	// template step.
	Pos Pos
}

// PhaseFactor is how much slower (above 1) or faster than planned a
// phase's measured steps ran: the median of their actual/likely ratios.
type PhaseFactor struct {
	Phase  string
	Factor float64
	// Steps is how many steps of the phase were measured.
	Steps int
}

// Edit is one line of a plan or template file that a calibration rewrites.
type Edit struct {
	// Group is the id of the [Group] whose estimate the line holds.
	Group string
	// File is the file's path, or "runbook NAME" for a built-in template.
	File string
	Line int
	// Old and New are the whole line before and after.
	Old, New string
	// BuiltIn marks a line of a template built into dcmove, which no diff
	// can change: the lead copies the template to a file to use it.
	BuiltIn bool
}

// Calibration is what a run measured against a plan's estimates, and the
// estimates it proposes instead. See [Calibrate].
type Calibration struct {
	Run, Plan string
	// Rehearsal marks a run recorded as a dress rehearsal.
	Rehearsal bool
	// Warnings are reasons to read the proposals with care, such as a plan
	// file changed since the run was recorded.
	Warnings []string
	// Measured are the groups with at least one measured step, largest
	// absolute change first.
	Measured []Group
	// Phases are the factors of the phases with measured steps, in plan
	// order.
	Phases []PhaseFactor
	// Unmeasured are the groups of which no step was measured, in plan
	// order, with their phase's factor applied as a suggestion; items and
	// the grace period are left out.
	Unmeasured []Group
	// NotInPlan are steps completed in the run that the plan no longer
	// has.
	NotInPlan []string
	// Edits are the lines to rewrite for the changed measured groups.
	Edits []Edit
	// Diff is a unified diff of the files on disk that Edits change (the
	// plan file, a runbook template file), empty when nothing on disk
	// changes. Its file names are relative to the plan file's directory,
	// for patch -p0 -d DIR (patch refuses names with ".." or a leading
	// "/").
	Diff string
	// Notes say which changed estimates could not be written as an edit,
	// and why.
	Notes []string
}

// Calibrate proposes new duration estimates for the plan p from what the
// run rec measured, so that the next run (or the live one after a dress
// rehearsal) plans with real durations. rb is p expanded with t, its runbook
// template (nil when p names none).
//
// A step is measured when it was started and completed: from its last
// start (after a failure and retry) to its completion. Steps are grouped by
// where their estimate is written — the runbook template step they were
// expanded from, or the plan's step — and each group gets, with r the
// median actual over the planned likely duration:
//
//   - likely: the median actual, rounded to the minute up to 30m (to 5
//     minutes up to 4h, 15 minutes up to a day, the hour beyond);
//   - optimistic: the lesser of the old optimistic scaled by r and the
//     shortest actual, rounded down;
//   - pessimistic: the greater of the old pessimistic scaled by r and the
//     longest actual plus a quarter, rounded up;
//
// then clamped so that optimistic <= likely <= pessimistic. Scaling keeps
// the shape of the range the lead wrote, and the measurements widen it when
// they fall outside. A group whose likely moves by 10% or less and whose
// measurements all fall inside the planned range is marked Unchanged and
// keeps its estimate: a rehearsal is too few samples to tune noise.
//
// Each phase gets a factor, the median ratio of its measured steps; the
// groups of that phase that were not measured get their range scaled by it,
// as a suggestion only (not in Diff).
//
// A plan file that differs from the one the run was recorded from (by
// rec.Hash) adds a warning. Steps of rec that rb does not have are listed
// in NotInPlan and not used; whether a calibration from what is left is
// worth making is the caller's to decide.
//
// Edits and Diff are built from p.File (and the template file, if the plan
// names one) as read returns them: os.ReadFile for files on disk; for a
// template built into dcmove (t.File is "runbook NAME"), read is called
// with t.File and returns the template's text. Calibrate reads no file
// itself.
func Calibrate(p *Plan, t *Template, rb *Runbook, rec Recording, read func(name string) ([]byte, error)) *Calibration {
	c := &Calibration{Run: rec.Run, Plan: p.Name, Rehearsal: rec.Rehearsal}
	if rec.Hash != "" && rec.Hash != p.Hash {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s is not the file run %s was recorded from (%s, sha256 %.12s): the measurements are compared with the estimates of the file as it is now",
			p.File, rec.Run, orUnknown(rec.File), rec.Hash))
	}
	groups, inPlan := group(t, rb)
	for id := range rec.Done {
		if !inPlan[id] {
			c.NotInPlan = append(c.NotInPlan, id)
		}
	}
	sort.Strings(c.NotInPlan)

	// Measure the groups and the phases.
	ratios := map[string][]float64{}
	var phases []string
	for _, g := range groups {
		if !slices.Contains(phases, g.Phase) {
			phases = append(phases, g.Phase)
		}
		for _, id := range g.Steps {
			m, ok := rec.Done[id]
			if !ok {
				continue
			}
			s, _ := rb.Step(id)
			m.Ratio = float64(m.Actual) / float64(s.Duration.Likely)
			g.Measured = append(g.Measured, m)
			ratios[g.Phase] = append(ratios[g.Phase], m.Ratio)
		}
	}
	factor := map[string]float64{}
	for _, ph := range phases {
		if rs := ratios[ph]; len(rs) > 0 {
			factor[ph] = medianOf(rs)
			c.Phases = append(c.Phases, PhaseFactor{Phase: ph, Factor: factor[ph], Steps: len(rs)})
		}
	}
	for _, g := range groups {
		switch {
		case len(g.Measured) > 0:
			g.propose()
			c.Measured = append(c.Measured, *g)
		case g.Source != InItem:
			g.suggest(factor[g.Phase])
			c.Unmeasured = append(c.Unmeasured, *g)
		}
	}
	sort.SliceStable(c.Measured, func(i, j int) bool {
		a, b := math.Abs(c.Measured[i].Change), math.Abs(c.Measured[j].Change)
		if a != b {
			return a > b
		}
		return c.Measured[i].ID < c.Measured[j].ID
	})
	c.rewrite(p, t, read)
	return c
}

func orUnknown(s string) string {
	if s == "" {
		return "file unknown"
	}
	return s
}

// group sorts the runbook's steps into the groups that share an estimate,
// in plan order, and reports which step ids the plan has.
func group(t *Template, rb *Runbook) ([]*Group, map[string]bool) {
	tsteps := map[string]TemplateStep{}
	if t != nil {
		for _, ts := range t.Steps {
			tsteps[ts.ID] = ts
		}
	}
	type key struct {
		src Source
		id  string
	}
	var groups []*Group
	byKey := map[key]*Group{}
	ids := map[string]bool{}
	for _, s := range rb.Steps {
		ids[s.ID] = true
		k := key{InPlan, s.ID}
		g := Group{ID: s.ID, Source: InPlan, Phase: s.Phase, Planned: s.Duration, Pos: s.Pos}
		if ts, ok := tsteps[s.Template]; ok && s.Template != "" {
			if ts.ItemDuration || ts.GracePeriod {
				k, g.Source = key{InItem, s.ID}, InItem
			} else {
				k = key{InRunbook, ts.ID}
				g.ID, g.Source, g.Planned, g.Pos = ts.ID, InRunbook, ts.Duration, ts.Pos
			}
		}
		if byKey[k] == nil {
			byKey[k] = &g
			groups = append(groups, &g)
		}
		byKey[k].Steps = append(byKey[k].Steps, s.ID)
	}
	return groups, ids
}

// propose sets the group's proposed estimate from its measurements (see
// [Calibrate] for the rule).
func (g *Group) propose() {
	actual := make([]time.Duration, len(g.Measured))
	for i, m := range g.Measured {
		actual[i] = m.Actual
	}
	slices.Sort(actual)
	g.Min, g.Max = actual[0], actual[len(actual)-1]
	if n := len(actual); n%2 == 1 {
		g.Median = actual[n/2]
	} else {
		g.Median = (actual[n/2-1] + actual[n/2]) / 2
	}
	old := g.Planned
	g.Ratio = float64(g.Median) / float64(old.Likely)
	d := Duration{
		Optimistic:  roundDown(min(scale(old.Optimistic, g.Ratio), g.Min)),
		Likely:      roundNearest(g.Median),
		Pessimistic: roundUp(max(scale(old.Pessimistic, g.Ratio), g.Max+g.Max/4)),
	}
	g.Proposed = ordered(d)
	g.Change = float64(g.Proposed.Likely-old.Likely) / float64(old.Likely)
	if math.Abs(g.Change) <= 0.10 && g.Min >= old.Optimistic && g.Max <= old.Pessimistic {
		g.Unchanged, g.Proposed = true, old
	}
}

// suggest scales the group's estimate by its phase's factor f (0: none).
func (g *Group) suggest(f float64) {
	g.Ratio, g.Proposed, g.Unchanged = f, g.Planned, true
	if f == 0 {
		return
	}
	old := g.Planned
	d := ordered(Duration{
		Optimistic:  roundDown(scale(old.Optimistic, f)),
		Likely:      roundNearest(scale(old.Likely, f)),
		Pessimistic: roundUp(scale(old.Pessimistic, f)),
	})
	g.Change = float64(d.Likely-old.Likely) / float64(old.Likely)
	if math.Abs(f-1) > 0.10 {
		g.Proposed, g.Unchanged = d, false
	}
}

func scale(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

// ordered makes d a valid estimate: optimistic <= likely <= pessimistic.
func ordered(d Duration) Duration {
	d.Optimistic = min(d.Optimistic, d.Likely)
	d.Pessimistic = max(d.Pessimistic, d.Likely)
	return d
}

// unit is how finely an estimate of d is written: to the minute up to 30
// minutes, then to 5 minutes up to 4 hours, to the quarter hour up to a
// day, and to the hour beyond; nobody plans a 33-hour wait to the minute.
func unit(d time.Duration) time.Duration {
	switch {
	case d <= 30*time.Minute:
		return time.Minute
	case d <= 4*time.Hour:
		return 5 * time.Minute
	case d <= 24*time.Hour:
		return 15 * time.Minute
	}
	return time.Hour
}

func roundNearest(d time.Duration) time.Duration { return max(d.Round(unit(d)), time.Minute) }
func roundDown(d time.Duration) time.Duration    { return max(d.Truncate(unit(d)), time.Minute) }

func roundUp(d time.Duration) time.Duration {
	u := unit(d)
	r := d.Truncate(u)
	if r < d {
		r += u
	}
	return max(r, time.Minute)
}

func medianOf(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// rewrite fills Edits, Diff and Notes for the changed measured groups.
func (c *Calibration) rewrite(p *Plan, t *Template, read func(string) ([]byte, error)) {
	type source struct {
		name    string // as in Edit.File and the diff
		data    []byte
		builtIn bool
		err     error // why the file cannot be rewritten
		doc     *yaml.Node
		edits   []tokenEdit
		groups  map[int]string // line -> group
	}
	files := map[string]*source{}
	open := func(g *Group) *source {
		file := g.Pos.File
		if f, ok := files[file]; ok {
			return f
		}
		f := &source{name: file, groups: map[int]string{}}
		files[file] = f
		switch {
		case g.Source == InPlan:
			f.data, f.err = read(p.File)
			if sum := sha256.Sum256(f.data); f.err == nil && hex.EncodeToString(sum[:]) != p.Hash {
				f.err = fmt.Errorf("%s changed since it was loaded; run the calibration again", p.File)
			}
		case t != nil && t.File == "runbook "+p.Runbook:
			f.data, f.err = read(t.File)
			f.builtIn = true
		default:
			f.data, f.err = read(file)
		}
		if f.err == nil {
			f.doc = &yaml.Node{}
			f.err = yaml.Unmarshal(f.data, f.doc)
		}
		return f
	}
	var order []*source
	for i := range c.Measured {
		g := &c.Measured[i]
		if g.Unchanged || g.Source == InItem {
			if !g.Unchanged {
				c.Notes = append(c.Notes, fmt.Sprintf("%s takes its duration from a plan item (a site procedure, a trip, a cool-down or the grace period): the run suggests %s; change the item if that holds", g.ID, g.Proposed))
			}
			continue
		}
		f := open(g)
		if !slices.Contains(order, f) {
			order = append(order, f)
		}
		if f.err != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("%s: cannot rewrite the duration of %s (%v): write duration: %s by hand", g.Pos, g.ID, f.err, g.Proposed))
			continue
		}
		edits, err := durationEdits(f.data, f.doc, g.Pos, g.Proposed)
		if err != nil {
			c.Notes = append(c.Notes, fmt.Sprintf("%s: %v: write duration: %s for %s by hand", g.Pos, err, g.Proposed, g.ID))
			continue
		}
		f.edits = append(f.edits, edits...)
		for _, e := range edits {
			f.groups[e.line] = g.ID
		}
	}
	var diff strings.Builder
	for _, f := range order {
		if len(f.edits) == 0 {
			continue
		}
		old := splitLines(f.data)
		updated := applyEdits(old, f.edits)
		for i := range old {
			if old[i] != updated[i] {
				c.Edits = append(c.Edits, Edit{Group: f.groups[i+1], File: f.name, Line: i + 1,
					Old: strings.TrimRight(old[i], "\r\n"), New: strings.TrimRight(updated[i], "\r\n"), BuiltIn: f.builtIn})
			}
		}
		if !f.builtIn {
			diff.WriteString(unifiedDiff(diffName(p.File, f.name), old, updated))
		}
	}
	c.Diff = diff.String()
}

// diffName is how the diff names file: relative to the directory of the
// plan file when it lies under it, else as given.
func diffName(plan, file string) string {
	if rel, err := filepath.Rel(filepath.Dir(plan), file); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return file
}

// tokenEdit replaces the text old at byte offset col of line (1-based)
// with new.
type tokenEdit struct {
	line, col int
	old, new  string
}

// durationEdits finds the duration of the step (or template step) whose
// mapping starts at pos in doc, and returns the edits that write d there,
// in the form already used: one value, o/l/p, or a mapping.
func durationEdits(src []byte, doc *yaml.Node, pos Pos, d Duration) ([]tokenEdit, error) {
	step := findMapping(doc, pos.Line, pos.Col)
	if step == nil {
		return nil, fmt.Errorf("no step found at this position")
	}
	var v *yaml.Node
	for i := 0; i+1 < len(step.Content); i += 2 {
		if step.Content[i].Value == "duration" {
			v = step.Content[i+1]
		}
	}
	lines := splitLines(src)
	switch {
	case v == nil:
		return nil, fmt.Errorf("the step has no duration")
	case v.Kind == yaml.ScalarNode:
		e, err := scalarEdit(lines, v, d.String())
		return []tokenEdit{e}, err
	case v.Kind == yaml.MappingNode:
		want := map[string]time.Duration{"optimistic": d.Optimistic, "likely": d.Likely, "pessimistic": d.Pessimistic}
		var out []tokenEdit
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i].Value, v.Content[i+1]
			w, ok := want[k]
			if !ok || val.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("the duration mapping is not of the form {optimistic, likely, pessimistic}")
			}
			delete(want, k)
			e, err := scalarEdit(lines, val, Span(w))
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		for k, w := range want {
			if w != d.Likely { // a missing value defaults to likely
				return nil, fmt.Errorf("the duration mapping has no %s", k)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("the duration is not written as a value or a mapping (a YAML alias?)")
}

// findMapping returns the mapping node that starts at line:col.
func findMapping(n *yaml.Node, line, col int) *yaml.Node {
	if n.Kind == yaml.MappingNode && n.Line == line && n.Column == col {
		return n
	}
	for _, c := range n.Content {
		if m := findMapping(c, line, col); m != nil {
			return m
		}
	}
	return nil
}

// scalarEdit replaces the text of scalar v with text, keeping its quotes.
func scalarEdit(lines []string, v *yaml.Node, text string) (tokenEdit, error) {
	old, repl := v.Value, text
	switch {
	case v.Style&yaml.DoubleQuotedStyle != 0:
		old, repl = `"`+old+`"`, `"`+repl+`"`
	case v.Style&yaml.SingleQuotedStyle != 0:
		old, repl = "'"+old+"'", "'"+repl+"'"
	case v.Style != 0 && v.Style != yaml.FlowStyle:
		return tokenEdit{}, fmt.Errorf("the duration is a block scalar")
	}
	if v.Line < 1 || v.Line > len(lines) {
		return tokenEdit{}, fmt.Errorf("the duration is not where the YAML parser says")
	}
	line := lines[v.Line-1]
	col := 0 // from the parser's column in characters to a byte offset
	for i := 1; i < v.Column && col < len(line); i++ {
		_, size := utf8.DecodeRuneInString(line[col:])
		col += size
	}
	if !strings.HasPrefix(line[col:], old) {
		return tokenEdit{}, fmt.Errorf("the duration %q is not written on one line", v.Value)
	}
	return tokenEdit{line: v.Line, col: col, old: old, new: repl}, nil
}

// splitLines splits data after each newline; the last line may have none.
func splitLines(data []byte) []string {
	var out []string
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if len(l) > 0 {
			out = append(out, string(l))
		}
	}
	return out
}

// applyEdits returns lines with edits made, the rightmost first on a line
// so that offsets stay right.
func applyEdits(lines []string, edits []tokenEdit) []string {
	out := slices.Clone(lines)
	sorted := slices.Clone(edits)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].line != sorted[j].line {
			return sorted[i].line < sorted[j].line
		}
		return sorted[i].col > sorted[j].col
	})
	for _, e := range sorted {
		l := out[e.line-1]
		out[e.line-1] = l[:e.col] + e.new + l[e.col+len(e.old):]
	}
	return out
}

// unifiedDiff returns the unified diff, three lines of context, between
// two versions of a file that differ only by lines replaced one for one.
func unifiedDiff(name string, old, new []string) string {
	const context = 3
	var changed []int
	for i := range old {
		if old[i] != new[i] {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", name, name)
	line := func(prefix, s string) {
		b.WriteString(prefix + s)
		if !strings.HasSuffix(s, "\n") {
			b.WriteString("\n\\ No newline at end of file\n")
		}
	}
	for k := 0; k < len(changed); {
		from := max(changed[k]-context, 0)
		to := min(changed[k]+context+1, len(old))
		next := k + 1
		for next < len(changed) && changed[next]-context <= to {
			to = min(changed[next]+context+1, len(old))
			next++
		}
		fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@\n", from+1, to-from, from+1, to-from)
		for i := from; i < to; {
			if old[i] == new[i] {
				line(" ", old[i])
				i++
				continue
			}
			j := i
			for j < to && old[j] != new[j] {
				j++
			}
			for _, s := range old[i:j] {
				line("-", s)
			}
			for _, s := range new[i:j] {
				line("+", s)
			}
			i = j
		}
		k = next
	}
	return b.String()
}
