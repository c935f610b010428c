package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/dcmove/dcmove/planner"
)

// field is what a column of the sheet holds.
type field int

const (
	fieldNone field = iota // a column with no header
	fieldID
	fieldTitle
	fieldPhase
	fieldDuration
	fieldPredecessors
	fieldRole
	fieldGate
	fieldAsset
	fieldSchedule // written by WriteCSV, ignored on import
)

// column is a column [ImportCSV] knows: its name and the other names
// people give it.
type column struct {
	field    field
	name     string
	aliases  []string
	required bool
}

// columns are the columns of a runbook sheet, in the order messages list
// them.
var columns = []column{
	{fieldID, "id", []string{"step id"}, true},
	{fieldTitle, "title", []string{"task", "name"}, true},
	{fieldPhase, "phase", nil, false},
	{fieldDuration, "duration", []string{"estimate", "time"}, true},
	{fieldPredecessors, "predecessors", []string{"after", "depends on", "deps"}, false},
	{fieldRole, "role", []string{"owner"}, false},
	{fieldGate, "gate", nil, false},
	{fieldAsset, "asset", nil, false},
}

// scheduleColumns are the columns [WriteCSV] adds to a runbook: a schedule,
// not a plan, so [ImportCSV] accepts and ignores them.
var scheduleColumns = []string{"who", "start", "end", "slack", "critical"}

// idPattern is what a plan accepts as a step id: ids become NATS subject
// tokens.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// ImportCSV reads a runbook exported from a spreadsheet as CSV: a header
// row that names the columns, then one step per row. name is the file name
// used in positions.
//
// Header names are matched whatever their case, spacing or '_'/'-', and a
// note in parentheses is ignored ("Duration (h:mm)"). The columns, in any
// order:
//
//   - id (required; also "step id"): letters, digits, '-' and '_'
//   - title (required; also task, name)
//   - phase
//   - duration (required; also estimate, time): "30m", "1h30m", "2d",
//     "1:30", "1h30", "45 min", or three values optimistic/likely/pessimistic
//     such as "20m/30m/1h" or "20-30-60 min"
//   - predecessors (also after, depends on, deps): step ids separated by
//     ';', ',' or spaces
//   - role (also owner): the crew role the step needs
//   - gate: yes, no, true, false, x, y, n, 1, 0 or empty
//   - asset: the id of the asset the step works on
//
// The schedule columns [WriteCSV] adds (who, start, end, slack, critical)
// are ignored, so an exported schedule imports again; any other column is
// an error. Fields are separated by ',', ';' or tabs, whichever the header
// uses; a UTF-8 byte order mark, blank lines and rows of empty cells are
// skipped.
//
// Each step's Pos is the line of the file (the spreadsheet's row number,
// the header being row 1) and the column number (1 for column A) of its id
// cell. When the sheet has problems the error
// is [planner.Errors], one per bad cell, all of them in sheet order, each
// saying which cell and what to write instead; errors.Is(err,
// [planner.ErrInvalid]) holds. Other errors are failures to read r.
func ImportCSV(name string, r io.Reader) ([]planner.Step, error) {
	data, err := planner.ReadAll("CSV file", name, r)
	if errors.Is(err, planner.ErrTooLarge) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	im := &importer{file: name}
	steps := im.read(data)
	if len(im.errs) > 0 {
		sort.SliceStable(im.errs, func(i, j int) bool {
			a, b := im.errs[i].Pos, im.errs[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, im.errs
	}
	return steps, nil
}

// importer reads one sheet, collecting every problem.
type importer struct {
	file string
	errs planner.Errors
}

// errorf reports a problem at the cell in column col (0-based) of line.
func (im *importer) errorf(line, col int, format string, args ...any) {
	im.errs = append(im.errs, &planner.Error{
		Pos: planner.Pos{File: im.file, Line: line, Col: col + 1},
		Msg: fmt.Sprintf(format, args...),
	})
}

// row is one step row of the sheet, with where its cells are.
type row struct {
	line  int
	cells []string
	step  planner.Step
	ok    bool // the step has a valid, unique id
}

func (im *importer) read(data []byte) []planner.Step {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = separator(data)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true

	var header []string
	headerLine := 1
	var rows []row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			im.errs = append(im.errs, &planner.Error{
				Pos: planner.Pos{File: im.file, Line: perr.Line, Col: 1},
				Msg: fmt.Sprintf("not a valid CSV row: %v; save the sheet again as CSV", perr.Err),
			})
			return nil
		}
		if err != nil {
			im.errorf(1, 0, "not a valid CSV file: %v", err)
			return nil
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if header == nil {
			header, headerLine = rec, line
			continue
		}
		cells := make([]string, len(rec))
		for i, c := range rec {
			cells[i] = strings.TrimSpace(c)
		}
		rows = append(rows, row{line: line, cells: cells})
	}
	if header == nil {
		im.errorf(1, 0, "the sheet is empty; its first row must name the columns, e.g. %s", exampleHeader())
		return nil
	}
	fields, headerOK := im.header(header, headerLine)
	if !headerOK {
		return nil
	}
	if len(rows) == 0 {
		im.errorf(headerLine+1, 0, "the sheet has a header but no steps; add one step per row under it")
		return nil
	}

	// Cells, row by row.
	index := map[string]int{} // step id -> the row it is first on
	for ri := range rows {
		im.cells(&rows[ri], fields, header, index)
	}
	// Predecessors and cycles, once every id is known.
	ids := make([]string, 0, len(index))
	for ri := range rows {
		if rows[ri].ok {
			ids = append(ids, rows[ri].step.ID)
		}
	}
	predCol := slices.Index(fields, fieldPredecessors)
	for ri := range rows {
		r := &rows[ri]
		for _, a := range r.step.After {
			switch {
			case a == r.step.ID && r.ok:
				im.errorf(r.line, predCol, "step %q lists itself in its predecessors (cell %s); remove it", r.step.ID, cell(predCol, r.line))
			case !slices.Contains(ids, a):
				im.errorf(r.line, predCol, "step %q comes after unknown step %q (cell %s); %s", r.step.ID, a, cell(predCol, r.line), planner.Hint(a, "steps in the sheet", ids))
			}
		}
	}
	for _, cycle := range cycles(rows) {
		names := make([]string, len(cycle)+1)
		for k, ri := range cycle {
			names[k] = rows[ri].step.ID
		}
		names[len(cycle)] = names[0]
		first := rows[cycle[0]]
		im.errorf(first.line, predCol, "steps form a cycle: %s (each comes after the one before it); remove one of these predecessors (cell %s)", strings.Join(names, " -> "), cell(predCol, first.line))
	}

	steps := make([]planner.Step, 0, len(rows))
	for _, r := range rows {
		steps = append(steps, r.step)
	}
	return steps
}

// header reads the header row into what each column holds.
func (im *importer) header(header []string, line int) ([]field, bool) {
	fields := make([]field, len(header))
	seen := map[field]int{}
	ok := true
	var typos []string // unknown column names, in normalized form
	for i, h := range header {
		name := normalize(h)
		if name == "" {
			continue
		}
		f, known := lookup(name)
		if !known {
			im.errorf(line, i, "unknown column %q (cell %s); %s", strings.TrimSpace(h), cell(i, line), unknownColumnHint(name))
			typos = append(typos, name)
			ok = false
			continue
		}
		if f == fieldSchedule {
			fields[i] = f
			continue
		}
		if first, dup := seen[f]; dup {
			im.errorf(line, i, "column %q (cell %s) is the same as column %q (cell %s); keep one", strings.TrimSpace(h), cell(i, line), strings.TrimSpace(header[first]), cell(first, line))
			ok = false
			continue
		}
		seen[f] = i
		fields[i] = f
	}
	for _, c := range columns {
		if _, has := seen[c.field]; c.required && !has && !misspelled(c, typos) {
			also := ""
			if len(c.aliases) > 0 {
				also = " (or " + strings.Join(c.aliases, ", ") + ")"
			}
			im.errorf(line, 0, "the header has no %s column%s; add one: the columns are %s", c.name, also, exampleHeader())
			ok = false
		}
	}
	return fields, ok
}

// cells reads one row into its step.
func (im *importer) cells(r *row, fields []field, header []string, index map[string]int) {
	s := &r.step
	s.Pos = planner.Pos{File: im.file, Line: r.line}
	get := func(f field) (string, int) {
		i := slices.Index(fields, f)
		if i < 0 || i >= len(r.cells) {
			return "", i
		}
		return r.cells[i], i
	}
	for i, c := range r.cells {
		if c == "" || (i < len(fields) && fields[i] != fieldNone) {
			continue
		}
		if i >= len(header) {
			im.errorf(r.line, i, "row %d has %d cells but the header names %d columns (cell %s is not empty); name the column in the header or clear the cell", r.line, len(r.cells), len(header), cell(i, r.line))
		} else {
			im.errorf(r.line, i, "cell %s is in a column with no name; name the column in the header or clear the cell", cell(i, r.line))
		}
		break
	}

	id, idCol := get(fieldID)
	s.Pos.Col = idCol + 1
	what := fmt.Sprintf("row %d", r.line) // how the step is named in messages
	switch {
	case id == "":
		im.errorf(r.line, idCol, "row %d has no id (cell %s); give the step an id such as %s", r.line, cell(idCol, r.line), suggestID(r, fields))
	case len(id) > planner.MaxIDLength:
		im.errorf(r.line, idCol, "step id %q (cell %s) is %d characters long; ids are at most %d", planner.Clip(id), cell(idCol, r.line), len(id), planner.MaxIDLength)
	case !idPattern.MatchString(id):
		im.errorf(r.line, idCol, "invalid step id %q (cell %s): use only letters, digits, '-' and '_', starting with a letter or digit, e.g. %s", planner.Clip(id), cell(idCol, r.line), slug(id))
	default:
		what = fmt.Sprintf("step %q", id)
		if first, dup := index[id]; dup {
			im.errorf(r.line, idCol, "duplicate step id %q (cell %s; first used on row %d); ids must be unique", id, cell(idCol, r.line), first)
		} else {
			index[id] = r.line
			r.ok = true
		}
	}
	s.ID = id

	title, col := get(fieldTitle)
	if title == "" && col >= 0 {
		im.errorf(r.line, col, "%s has no title (cell %s); say what the team does, e.g. \"Unrack web-1\"", what, cell(col, r.line))
	}
	s.Title = title
	s.Phase, _ = get(fieldPhase)
	s.Role, _ = get(fieldRole)
	s.Asset, _ = get(fieldAsset)

	if dur, col := get(fieldDuration); col >= 0 {
		if dur == "" {
			im.errorf(r.line, col, "%s has no duration (cell %s); write e.g. %s", what, cell(col, r.line), durationExample)
		} else if d, err := parseEstimate(dur); err != nil {
			im.errorf(r.line, col, "%s has a bad duration (cell %s): %v", what, cell(col, r.line), err)
		} else {
			s.Duration = d
		}
	}

	preds, _ := get(fieldPredecessors)
	for _, p := range strings.FieldsFunc(preds, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if !slices.Contains(s.After, p) {
			s.After = append(s.After, p)
		}
	}

	if g, col := get(fieldGate); g != "" {
		switch strings.ToLower(g) {
		case "yes", "y", "true", "x", "1":
			s.Gate = true
		case "no", "n", "false", "0", "-":
		default:
			im.errorf(r.line, col, "%s has a bad gate value %q (cell %s); write yes or no (also true/false, x, or leave the cell empty)", what, g, cell(col, r.line))
		}
	}
}

// cycles returns one cycle of row indexes for each group of steps that
// come after each other, each starting at its earliest row.
func cycles(rows []row) [][]int {
	byID := map[string]int{}
	for ri, r := range rows {
		if r.ok {
			byID[r.step.ID] = ri
		}
	}
	succs := make([][]int, len(rows))
	for ri, r := range rows {
		if !r.ok {
			continue
		}
		for _, a := range r.step.After {
			if p, ok := byID[a]; ok && p != ri {
				succs[p] = append(succs[p], ri)
			}
		}
	}
	// Tarjan's strongly connected components.
	n := len(rows)
	order, low := make([]int, n), make([]int, n)
	on := make([]bool, n)
	for i := range order {
		order[i] = -1
	}
	var stack []int
	var comps [][]int
	next := 0
	var visit func(int)
	visit = func(v int) {
		order[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range succs[v] {
			if order[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], order[w])
			}
		}
		if low[v] == order[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				comps = append(comps, comp)
			}
		}
	}
	for v := range n {
		if order[v] < 0 {
			visit(v)
		}
	}
	// In each component, the shortest way from its first row back to it.
	var out [][]int
	for _, comp := range comps {
		start := slices.Min(comp)
		via := map[int]int{start: -1}
		queue, end := []int{start}, -1
		for len(queue) > 0 && end < 0 {
			v := queue[0]
			queue = queue[1:]
			for _, w := range succs[v] {
				if w == start {
					end = v
					break
				}
				if _, seen := via[w]; !seen && slices.Contains(comp, w) {
					via[w] = v
					queue = append(queue, w)
				}
			}
		}
		var cycle []int
		for v := end; v >= 0; v = via[v] {
			cycle = append(cycle, v)
		}
		slices.Reverse(cycle)
		out = append(out, cycle)
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

// separator returns the field separator the header line uses: the most
// frequent of ',', ';' and tab outside quotes, ',' if none.
func separator(data []byte) rune {
	line := data
	for len(bytes.TrimSpace(line)) == 0 && len(line) > 0 {
		// Skip blank lines above the header.
		i := bytes.IndexByte(line, '\n')
		if i < 0 {
			break
		}
		line = line[i+1:]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(line) {
		if c == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if c == '\n' {
			break
		}
		if c == ',' || c == ';' || c == '\t' {
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// normalize turns a header cell into the form column names are compared
// in: lower case, single spaces, no '_' or '-', no note in parentheses.
func normalize(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
	if i := strings.IndexByte(h, '('); i > 0 && strings.HasSuffix(h, ")") {
		h = h[:i]
	}
	h = strings.NewReplacer("_", " ", "-", " ").Replace(h)
	return strings.Join(strings.Fields(h), " ")
}

// lookup finds the column a normalized header names.
func lookup(name string) (field, bool) {
	for _, c := range columns {
		if name == c.name || slices.Contains(c.aliases, name) {
			return c.field, true
		}
	}
	if slices.Contains(scheduleColumns, name) {
		return fieldSchedule, true
	}
	return fieldNone, false
}

// unknownColumnHint suggests the known column closest to name, and lists
// them all.
func unknownColumnHint(name string) string {
	var all []string
	for _, c := range columns {
		all = append(all, c.name)
		all = append(all, c.aliases...)
	}
	all = append(all, scheduleColumns...)
	hint := ""
	if h := planner.Hint(name, "columns", all); strings.HasPrefix(h, "did you mean") {
		hint = h + " "
	}
	var known []string
	for _, c := range columns {
		k := c.name
		if len(c.aliases) > 0 {
			k += " (or " + strings.Join(c.aliases, ", ") + ")"
		}
		known = append(known, k)
	}
	return hint + "known columns: " + strings.Join(known, ", ") + "; " + strings.Join(scheduleColumns, ", ") + " are read and ignored"
}

// misspelled reports whether one of the unknown column names, reported
// already with a suggestion, looks like a typo of c.
func misspelled(c column, typos []string) bool {
	names := append([]string{c.name}, c.aliases...)
	for _, t := range typos {
		for _, n := range names {
			if planner.Hint(t, "", []string{n}) == fmt.Sprintf("did you mean %q?", n) {
				return true
			}
		}
	}
	return false
}

// exampleHeader is a header row to copy.
func exampleHeader() string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return strings.Join(names, ",")
}

// cell names a cell the way a spreadsheet does: column letters, then the
// row number ("D5"). col is 0-based.
func cell(col, line int) string {
	if col < 0 {
		return fmt.Sprintf("row %d", line)
	}
	var letters []byte
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		letters = append([]byte{byte('A' + (n-1)%26)}, letters...)
	}
	return fmt.Sprintf("%s%d", letters, line)
}

// slug turns text into an id a plan accepts: "Unrack web 1" becomes
// "unrack-web-1".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return "step-1"
	}
	return b.String()
}

// suggestID proposes an id for a row with none, from its title.
func suggestID(r *row, fields []field) string {
	if i := slices.Index(fields, fieldTitle); i >= 0 && i < len(r.cells) && r.cells[i] != "" {
		parts := strings.Split(slug(r.cells[i]), "-")
		return strings.Join(parts[:min(len(parts), 3)], "-")
	}
	return "unrack-web1"
}

// blank reports whether every cell of a record is empty.
func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
