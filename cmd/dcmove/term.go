package main

// The terminal: whether an output is one and how large it is (asked of the
// terminal driver with golang.org/x/term), the alternate screen of a watch,
// and fitting a status into a terminal's width and height.

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"
	"golang.org/x/text/width"
)

// terminalFD returns w's file descriptor when w is a terminal. It asks the
// terminal driver (the ioctl isatty makes), so a file, a pipe or
// /dev/null is not a terminal.
func terminalFD(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// writerIsTerminal reports whether w is a terminal (see terminalFD).
func writerIsTerminal(w io.Writer) bool {
	_, ok := terminalFD(w)
	return ok
}

// terminalSize returns the columns and lines of the terminal w is, read
// anew on each call (the window may have been resized); ok is false when w
// is not a terminal or the terminal does not say (a size of 0). Tests
// pretend.
var terminalSize = func(w io.Writer) (cols, lines int, ok bool) {
	fd, tty := terminalFD(w)
	if !tty {
		return 0, 0, false
	}
	cols, lines, err := term.GetSize(fd)
	if err != nil || cols <= 0 || lines <= 0 {
		return 0, 0, false
	}
	return cols, lines, true
}

// The alternate screen (xterm's, which every terminal emulator in use has):
// a watch draws on it, and the terminal shows what was there before once
// the watch leaves it, as less, top and watch(1) do.
const (
	enterAltScreen = "\x1b[?1049h"
	leaveAltScreen = "\x1b[?1049l"
)

// displayWidth is how many columns s takes on a terminal: ANSI escape
// sequences take none, East Asian wide and full-width characters two,
// combining marks and other zero-width characters none, anything else
// one.
func displayWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if l := escapeLen(s[i:]); l > 0 {
			i += l
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeWidth(r)
		i += size
	}
	return n
}

// runeWidth is the columns r takes on a terminal.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f, unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// escapeLen is the length of the ANSI escape sequence s starts with, 0 if
// it starts with none: a CSI sequence (ESC [ parameters, intermediates, a
// final byte), as the status's colours are, or ESC and one character.
func escapeLen(s string) int {
	if len(s) < 2 || s[0] != 0x1b {
		return 0
	}
	if s[1] != '[' {
		return 2
	}
	for i := 2; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return len(s) // an unfinished sequence: nothing of it is shown
}

// withoutEscapes is s without its ANSI escape sequences.
func withoutEscapes(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if l := escapeLen(s[i:]); l > 0 {
			i += l
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// truncate cuts s to at most cols columns. A line cut ends with "…"; its
// escape sequences are kept, and a colour still open where it was cut is
// reset.
func truncate(s string, cols int) string {
	if displayWidth(s) <= cols {
		return s
	}
	if cols <= 0 {
		return ""
	}
	var b strings.Builder
	used, escaped := 0, false
	for i := 0; i < len(s); {
		if l := escapeLen(s[i:]); l > 0 {
			b.WriteString(s[i : i+l])
			escaped = true
			i += l
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w := runeWidth(r)
		if used+w > cols-1 { // room for the "…"
			break
		}
		b.WriteString(s[i : i+size])
		used += w
		i += size
	}
	b.WriteString("…")
	if escaped {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}

// truncateLine cuts a line of a status to cols columns as truncate does,
// but keeps a lateness at its end ("  LATE by 23m", "  LATE to start by
// 55m"), cutting the middle instead, so that a late step still says so
// without colours (NO_COLOR).
func truncateLine(s string, cols int) string {
	if displayWidth(s) <= cols {
		return s
	}
	plain := withoutEscapes(s)
	i := strings.LastIndex(plain, "  LATE ")
	if i <= 0 || displayWidth(plain[i:]) > cols/2 {
		return truncate(s, cols)
	}
	lead, reset := "", ""
	if l := escapeLen(s); l > 0 { // a line painted whole, as late ones are
		lead, reset = s[:l], "\x1b[0m"
	}
	return lead + truncate(plain[:i], cols-displayWidth(plain[i:])) + plain[i:] + reset
}

// statusBlock is a titled list of a status ("started:", then its steps),
// as the status prints it after an empty line.
type statusBlock struct {
	title string
	rows  []string
}

// notes are the header lines that only say what dcmove audit says too:
// a status that does not fit loses them first.
var notes = []string{"head seq ", "actions unsigned", "warnings accepted"}

// helpers are the header lines that help rather than say where the move
// stands: a terminal too short for the whole header loses them, in this
// order.
var helpers = []string{"degraded mode lasted", "by phase: ", "store: writes failed", "now "}

// moreHint is where a list cut short is shown whole.
const moreHint = "(dcmove status)"

// fitScreen fits the lines of a status to a terminal of cols columns and
// rows lines, instead of letting the terminal wrap and scroll them:
//
//   - no line is wider than cols columns (cut with "…"; colours kept);
//   - the header (the lines before the first empty one) stays at the top:
//     the run, window, progress, late steps, point of no return, next
//     gate, degraded mode and forecast, whatever the size; the lines that
//     only note what dcmove audit says too ([notes]) go first, then, on a
//     terminal too short for the header, those that only help ([helpers]);
//   - the lists that follow (started, failed, blocked, crew, services down,
//     cooling down, ready to start, …) share the lines left, one line at a
//     time to each in turn: each keeps its title and the rows it got, the
//     rest summed up as "… N more (dcmove status)"; the empty lines between
//     lists go when each cannot show three rows; when even the titles do
//     not fit, the last lists are named on one line.
//
// A status that fits is returned as it is. cols or rows below 1 leave the
// lines unfitted.
func fitScreen(lines []string, cols, rows int) []string {
	if cols < 1 || rows < 1 {
		return lines
	}
	for len(lines) > 0 && withoutEscapes(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	cut := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = truncateLine(l, cols)
		}
		return out
	}
	if len(lines) <= rows {
		return cut(lines)
	}
	header, blocks := splitStatus(lines)
	header = dropHeader(header, notes, len(lines)-rows)
	header = dropHeader(header, helpers, len(header)-rows)
	if len(header) >= rows {
		return cut(header[:rows])
	}
	return cut(append(header, fitBlocks(blocks, rows-len(header))...))
}

// splitStatus cuts a status into its header and its blocks, at the empty
// lines.
func splitStatus(lines []string) (header []string, blocks []statusBlock) {
	i := 0
	for ; i < len(lines) && withoutEscapes(lines[i]) != ""; i++ {
		header = append(header, lines[i])
	}
	for ; i < len(lines); i++ {
		if withoutEscapes(lines[i]) == "" {
			blocks = append(blocks, statusBlock{})
			continue
		}
		b := &blocks[len(blocks)-1]
		if b.title == "" {
			b.title = lines[i]
		} else {
			b.rows = append(b.rows, lines[i])
		}
	}
	// Two empty lines in a row make an empty block: none goes on screen.
	kept := blocks[:0]
	for _, b := range blocks {
		if b.title != "" {
			kept = append(kept, b)
		}
	}
	return header, kept
}

// dropHeader drops up to n lines of header that start with one of
// prefixes, in the order of prefixes, keeping the order of the others.
func dropHeader(header []string, prefixes []string, n int) []string {
	for _, prefix := range prefixes {
		if n <= 0 {
			break
		}
		for i, l := range header {
			if strings.HasPrefix(withoutEscapes(l), prefix) {
				header = append(header[:i:i], header[i+1:]...)
				n--
				break
			}
		}
	}
	return header
}

// fitBlocks lays blocks out in room lines (see fitScreen).
func fitBlocks(blocks []statusBlock, room int) []string {
	if len(blocks) == 0 || room <= 0 {
		return nil
	}
	// How many blocks show, and whether an empty line goes before each:
	// every block shown gets its title and one line for its rows (a row,
	// or "… N more"); the blocks that do not fit are named on one line.
	minBody := func(b statusBlock) int { return min(1, len(b.rows)) }
	need := func(n, gap int) int {
		total := 0
		for _, b := range blocks[:n] {
			total += gap + 1 + minBody(b)
		}
		if n < len(blocks) {
			total += gap + 1 // the line naming the others
		}
		return total
	}
	shown, gap := len(blocks), 1
	roomy := 0 // with three rows of each list, and an empty line before it
	for _, b := range blocks {
		roomy += 2 + min(3, len(b.rows))
	}
	if roomy > room {
		gap = 0
		for shown > 0 && need(shown, 0) > room {
			shown--
		}
	}
	left := room - need(shown, gap)
	body := make([]int, shown)
	for i := range body {
		body[i] = minBody(blocks[i])
	}
	// The lines left go one at a time to each list in turn that has more
	// rows, so that a long list does not push the others off the screen.
	for left > 0 {
		gave := false
		for i := range body {
			if left > 0 && body[i] < len(blocks[i].rows) {
				body[i]++
				left--
				gave = true
			}
		}
		if !gave {
			break
		}
	}
	var out []string
	for i, b := range blocks[:shown] {
		if gap > 0 {
			out = append(out, "")
		}
		out = append(out, b.title)
		if body[i] >= len(b.rows) {
			out = append(out, b.rows...)
			continue
		}
		keep := body[i] - 1
		out = append(out, b.rows[:keep]...)
		out = append(out, fmt.Sprintf("  … %d more %s", len(b.rows)-keep, moreHint))
	}
	if shown < len(blocks) {
		var names []string
		for _, b := range blocks[shown:] {
			name := strings.TrimSuffix(withoutEscapes(b.title), ":")
			if len(b.rows) > 0 {
				name += fmt.Sprintf(" (%d)", len(b.rows))
			}
			names = append(names, name)
		}
		if gap > 0 {
			out = append(out, "")
		}
		out = append(out, "… not shown: "+strings.Join(names, ", ")+" "+moreHint)
	}
	return out
}
