package projections

import (
	"fmt"
	"io"
	"strings"
)

// WriteReportMarkdown writes the post-migration report of a run as
// Markdown: the summary, the timeline, planned against actual per phase,
// the late steps, the gates and who signed them, the deviations, degraded
// mode, and what the rehearsal predicted if rp.Rehearsal is set.
func WriteReportMarkdown(w io.Writer, rp *Report) error {
	return writeReportMarkdown(w, rp.view())
}

// writeReportMarkdown writes the report's view as Markdown.
func writeReportMarkdown(w io.Writer, v *reportView) error {
	var b strings.Builder
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = mdCell(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	header := func(cells ...string) {
		row(cells...)
		seps := make([]string, len(cells))
		for i := range seps {
			seps[i] = "---"
		}
		b.WriteString("|" + strings.Join(seps, "|") + "|\n")
	}

	fmt.Fprintf(&b, "# Post-migration report: %s\n\n", mdText(v.Title))
	fmt.Fprintf(&b, "Run **%s** (%s) of plan `%s`", mdText(v.Run), v.Kind, v.Plan)
	if v.File != "" {
		fmt.Fprintf(&b, " from `%s`", v.File)
	}
	if v.Lead != "" {
		fmt.Fprintf(&b, ", led by %s", mdText(v.Lead))
	}
	fmt.Fprintf(&b, ". Times are in %s.\n\n", v.Zone)
	header("", "")
	for _, f := range v.Facts {
		value := f.Value
		if f.Alert {
			value = "**" + value + "**"
		}
		if f.Detail != "" {
			value += " — " + f.Detail
		}
		row("**"+f.Label+"**", value)
	}

	b.WriteString("\n## Timeline\n\n")
	header("Time", "Event")
	for _, m := range v.Timeline {
		row(m.At, m.What)
	}

	b.WriteString("\n## Planned vs actual per phase\n\n")
	b.WriteString("Sums of the likely durations of the steps done, and of the time they took (start to end; parallel steps add up).\n\n")
	header("Phase", "Steps", "Done", "Planned", "Actual", "Actual/planned")
	for _, p := range append(v.Phases, v.Total) {
		row(p.Phase, fmt.Sprint(p.Steps), fmt.Sprint(p.Done), p.Planned, p.Actual, p.Ratio)
	}

	b.WriteString("\n## Late steps\n\n")
	if v.LateCount == 0 {
		b.WriteString("No step took longer than planned.\n")
	} else {
		fmt.Fprintf(&b, "%d step(s) took longer than their likely duration, %s over in all; the latest first.\n\n", v.LateCount, v.LateOver)
		header("Step", "Phase", "Planned", "Actual", "Over", "Done by")
		for _, l := range v.Late {
			row("`"+l.ID+"` "+l.Title, l.Phase, l.Planned, l.Actual, l.Over, l.By)
		}
		if v.LateMore > 0 {
			fmt.Fprintf(&b, "\nand %d more (every step: `dcmove audit --run %s --type step.completed`).\n", v.LateMore, v.Run)
		}
	}

	b.WriteString("\n## Gates and signers\n\n")
	if len(v.Gates) == 0 {
		b.WriteString("No gate was signed.\n")
	} else {
		header("Gate", "Outcome", "Time", "Role", "Signed by", "Decision", "Reason")
		for _, g := range v.Gates {
			for i, sg := range g.Signatures {
				gate, outcome := "", ""
				if i == 0 {
					gate, outcome = "`"+g.ID+"` "+g.Title, g.Outcome
					if g.At != "" && g.Outcome != GateOpen {
						outcome += ", " + g.At
					}
				}
				row(gate, outcome, sg.At, sg.Role, sg.By, sg.Decision, sg.Reason)
			}
		}
	}

	b.WriteString("\n## Deviations\n\n")
	if len(v.Deviations) == 0 {
		b.WriteString("None: no warning accepted, no step failed, skipped or blocked, no cool-down cut short.\n")
	} else {
		header("Time", "Kind", "About", "By", "Reason", "Note")
		for _, d := range v.Deviations {
			row(d.At, d.Kind, d.About, d.By, d.Reason, d.Note)
		}
	}

	b.WriteString("\n## Degraded mode\n\n")
	if len(v.Spells) == 0 {
		b.WriteString("The service never ran in degraded mode.\n")
	} else {
		fmt.Fprintf(&b, "%s in all.\n\n", v.DegradedTotal)
		header("On", "Off", "Lasted", "Down on purpose", "On by, why", "Off by, why")
		for _, sp := range v.Spells {
			row(sp.From, sp.To, sp.Lasted, sp.Down, sp.By+because(sp.Reason), sp.EndedBy+because(sp.EndReason))
		}
	}

	b.WriteString("\n## What the rehearsal predicted\n\n")
	if r := v.Rehearsal; r == nil {
		b.WriteString("No rehearsal was compared (`--rehearsal RUN` adds it).\n")
	} else {
		fmt.Fprintf(&b, "Rehearsal run **%s** against this run, **%s**", mdText(r.Run), mdText(r.This))
		if r.Live {
			b.WriteString(" (that run was not recorded as a rehearsal)")
		}
		if !r.SamePlanFile {
			b.WriteString(" (the plan file changed between them)")
		}
		b.WriteString(": sums over the steps done in both.\n\n")
		header("Phase", "Steps", "Rehearsal", "This run", "Delta", "This/rehearsal")
		for _, p := range append(r.Phases, r.Total) {
			row(p.Phase, fmt.Sprint(p.Steps), p.A, p.B, p.Delta, p.Ratio)
		}
		if r.Differ == 0 {
			b.WriteString("\nEvery step took as long as in the rehearsal.\n")
		} else {
			fmt.Fprintf(&b, "\nThe %d step(s) that differed most:\n\n", len(r.Steps))
			header("Step", "Phase", "Rehearsal", "This run", "Delta")
			for _, d := range r.Steps {
				row("`"+d.ID+"` "+d.Title, d.Phase, outcomeCell(d.A, d.AOutcome), outcomeCell(d.B, d.BOutcome), d.Delta)
			}
			if r.More > 0 {
				fmt.Fprintf(&b, "\nand %d more (all: `dcmove audit compare %s %s`).\n", r.More, r.Run, r.This)
			}
		}
	}
	fmt.Fprintf(&b, "\n---\nBuilt by dcmove from the %d events of run %s; the full trail: `dcmove audit --run %s`.\n", v.Records, v.Run, v.Run)
	if v.Head != "" {
		fmt.Fprintf(&b, "\nhead: seq %d sha256 `%s`; keep it, and check later that the log still reaches it: `dcmove audit verify --run %s --head %d:%s`.\n",
			v.HeadSeq, v.Head, v.Run, v.HeadSeq, v.Head)
		if hs := v.HeadSig; hs != nil && hs.By != "" {
			fmt.Fprintf(&b, "\nhead signed by %s, the lead (key `%s`), when this report was made: statement `%s`, ed25519 signature (base64url) `%s`; check it: `dcmove audit verify --run %s --head %d:%s --head-signature %s`.\n",
				mdText(hs.By), hs.ShortKey, hs.Statement, hs.Signature, v.Run, v.HeadSeq, v.Head, hs.Signature)
		} else if hs != nil {
			fmt.Fprintf(&b, "\nhead signed with key `%s` when this report was made, a key the plan did not record (it lists no crew keys): the signature says nothing of who signed. Statement `%s`, ed25519 signature (base64url) `%s`.\n",
				hs.Key, hs.Statement, hs.Signature)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// outcomeCell says how a step ended: its duration if done, else its state
// (with its duration if it has one).
func outcomeCell(took, outcome string) string {
	switch {
	case outcome == string(Done):
		return took
	case took != "":
		return outcome + " after " + took
	}
	return outcome
}

// mdCell makes text safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// mdText escapes the characters that would start Markdown emphasis.
func mdText(s string) string {
	r := strings.NewReplacer("*", `\*`, "_", `\_`, "`", "\\`")
	return r.Replace(s)
}
