package projections

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/planner"
)

// How dcmove words what it shows, shared by the view models and the
// renderers: durations, differences, ratios, reasons, lists, events.

// span formats a duration as the crew writes it: 1h30m, 45m.
func span(d time.Duration) string { return planner.Span(d) }

// signed formats a difference with its sign: +15m, -1h5m, 0m.
func signed(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return "+" + span(d)
	case d <= -time.Minute:
		return span(d)
	}
	return "0m"
}

func took(o Outcome) string {
	if !o.Timed() {
		return ""
	}
	return span(o.Took)
}

func phaseLabel(ph string) string {
	if ph == "" {
		return "(no phase)"
	}
	return ph
}

func ratio(f float64) string {
	if f == 0 {
		return ""
	}
	return fmt.Sprintf("x%.2f", f)
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// Describe says in words what an event records; title gives a step's title
// from its id.
func Describe(actor string, ev events.Event, title func(string) string) string {
	switch v := ev.(type) {
	case events.CutoverStarted:
		kind := "cutover"
		if v.Rehearsal {
			kind = "rehearsal"
		}
		return fmt.Sprintf("%s started: plan %s, %d steps", kind, v.Plan, v.Steps)
	case events.StepPlanned:
		d := planner.Duration{Optimistic: time.Duration(v.Optimistic), Likely: time.Duration(v.Likely), Pessimistic: time.Duration(v.Pessimistic)}
		return fmt.Sprintf("step planned: %s (%s)", v.Title, d)
	case events.StepStarted:
		return "step started: " + title(v.Step)
	case events.StepCompleted:
		if v.Override != "" {
			return "step done without its facts, by the lead's override: " + title(v.Step) + because(v.Override)
		}
		return "step done: " + title(v.Step)
	case events.WarningAccepted:
		return fmt.Sprintf("warning %s accepted: %s (because: %s)", v.Lint, v.Message, v.Reason)
	case events.StepFailed:
		return fmt.Sprintf("step failed: %s (%s)", title(v.Step), v.Reason)
	case events.StepRetried:
		return "step to retry: " + title(v.Step) + because(v.Reason)
	case events.StepSkipped:
		return fmt.Sprintf("step skipped: %s (%s)", title(v.Step), v.Reason)
	case events.StepBlocked:
		return fmt.Sprintf("step blocked: %s (%s)", title(v.Step), v.Reason)
	case events.StepUnblocked:
		return "step unblocked: " + title(v.Step) + because(v.Reason)
	case events.GateSigned:
		return fmt.Sprintf("%s signed %s as %s on %s%s", actor, v.Decision, v.Role, v.Gate, because(v.Reason))
	case events.CooldownStarted:
		return fmt.Sprintf("%s cools down until %s", v.Asset, v.Until.Format(time.RFC3339))
	case events.CooldownElapsed:
		return v.Asset + " has cooled down"
	case events.CooldownForced:
		return fmt.Sprintf("cool-down of %s cut short (%s)", v.Asset, v.Reason)
	case events.DegradedEntered:
		return fmt.Sprintf("degraded mode on: %s down on purpose (%s)", orNone(v.Down), v.Reason)
	case events.DegradedLeft:
		return "degraded mode off" + because(v.Reason)
	case events.BackoutStarted:
		return fmt.Sprintf("BACK-OUT started (%s): %d back-out steps to run, %d steps cancelled", v.Reason, len(v.Steps), len(v.Cancelled))
	case events.FirewallRuleCaptured:
		return fmt.Sprintf("firewall rule %s captured at %s (%s): %s", v.Rule, v.Site, v.Role, v.Text)
	case events.FirewallCaptureCompleted:
		return fmt.Sprintf("firewall capture of %s (%s) completed: %d rules from %s", v.Site, v.Role, v.Rules, strings.Join(v.Files, ", "))
	case events.FirewallRuleReviewed:
		return fmt.Sprintf("firewall rule %s reviewed: %s%s", cmp.Or(v.PlanRule, v.Rule), v.Decision, because(v.Reason))
	case events.CheckRan:
		switch {
		case v.Error != "":
			return fmt.Sprintf("check %s from %s could not run (%s)", v.Check, v.From, v.Error)
		case v.OK:
			return fmt.Sprintf("check %s passed from %s (saw %s)", v.Check, v.From, v.Seen)
		}
		return fmt.Sprintf("check %s FAILED from %s: expected %s, saw %s", v.Check, v.From, v.Expected, v.Seen)
	case events.NoticeSent:
		what := "notice"
		if v.Reminder {
			what = "reminder"
		}
		return fmt.Sprintf("%s to %s sent to %s", what, v.Stakeholder, v.Recipient)
	case events.NoticeBounced:
		return fmt.Sprintf("notice to %s bounced for %s (%s)", v.Stakeholder, v.Recipient, v.Reason)
	case events.NoticeAcknowledged:
		return fmt.Sprintf("notice to %s acknowledged by %s (via %s)", v.Stakeholder, v.Recipient, v.Via)
	case events.NoticeWaived:
		return fmt.Sprintf("acknowledgements of %s waived by the lead%s", v.Stakeholder, because(v.Reason))
	}
	return ev.EventType()
}

// orNone lists ids, or says there are none.
func orNone(ids []string) string {
	if len(ids) == 0 {
		return "no service (the plan declares no non-vital service)"
	}
	return strings.Join(ids, ", ")
}

// writeTrimmed writes text without the padding tabwriter leaves at the end
// of lines.
func writeTrimmed(w io.Writer, text string) error {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \n")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}
