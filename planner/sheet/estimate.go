package sheet

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// durationExample is what messages suggest writing in a duration cell.
const durationExample = "30m, 1h30, 1:30, 20m/30m/1h or 20-30-60 min"

var (
	// numbersWithUnit is one to three numbers sharing one unit, written
	// after them: "45 min", "2 hours", "20-30-60 min", "20/30/60m".
	numbersWithUnit = regexp.MustCompile(`^(\d+(?:\.\d+)?)(?:\s*[-/]\s*(\d+(?:\.\d+)?)\s*[-/]\s*(\d+(?:\.\d+)?))?\s*(m|mn|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$`)
	// hoursMinutes is "1:30" or "0:45".
	hoursMinutes = regexp.MustCompile(`^(\d+):([0-5]\d)$`)
	// hoursThenMinutes is "1h30", the minutes' unit left out.
	hoursThenMinutes = regexp.MustCompile(`^(\d+)h(\d+)$`)
	// unitWords are the spelled-out units people write, longest first.
	unitWords = strings.NewReplacer("minutes", "m", "minute", "m", "mins", "m", "min", "m", "mn", "m",
		"hours", "h", "hour", "h", "hrs", "h", "hr", "h", "days", "d", "day", "d")
)

// parseEstimate reads a duration cell: one estimate or three
// (optimistic/likely/pessimistic), each written as in a plan file (see
// [planner.ParseDuration]: "30m", "1h30m", "2d") or as "1:30", "1h30",
// "45 min"; three numbers may share a unit written
// after them ("20-30-60 min"). The error says what to write instead.
func parseEstimate(s string) (planner.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "–", "-")))
	var spans []time.Duration
	if m := numbersWithUnit.FindStringSubmatch(s); m != nil {
		unit := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[m[4][0]]
		for _, n := range m[1:4] {
			if n == "" {
				continue
			}
			v, err := strconv.ParseFloat(n, 64)
			if err != nil {
				return planner.Duration{}, fmt.Errorf("invalid duration %q: write e.g. %s", s, durationExample)
			}
			spans = append(spans, time.Duration(v*float64(unit)).Round(time.Second))
		}
	} else {
		parts := strings.Split(s, "/")
		if len(parts) == 1 && strings.Count(s, "-") == 2 && !strings.HasPrefix(s, "-") {
			parts = strings.Split(s, "-") // "20m-30m-1h"
		}
		if len(parts) != 1 && len(parts) != 3 {
			return planner.Duration{}, fmt.Errorf("duration %q needs one value or three (optimistic/likely/pessimistic); write e.g. %s", s, durationExample)
		}
		for _, p := range parts {
			v, err := parseSpan(p)
			if err != nil {
				return planner.Duration{}, fmt.Errorf("%w; write e.g. %s", err, durationExample)
			}
			spans = append(spans, v)
		}
	}
	d := planner.Duration{Optimistic: spans[0], Likely: spans[0], Pessimistic: spans[0]}
	if len(spans) == 3 {
		d = planner.Duration{Optimistic: spans[0], Likely: spans[1], Pessimistic: spans[2]}
	}
	switch {
	case d.Optimistic <= 0 || d.Likely <= 0 || d.Pessimistic <= 0:
		return d, fmt.Errorf("duration %q must be greater than zero; write e.g. %s", s, durationExample)
	case d.Optimistic > d.Likely || d.Likely > d.Pessimistic:
		return d, fmt.Errorf("duration %q must be optimistic <= likely <= pessimistic, shortest first; write e.g. 20m/30m/1h", s)
	}
	return d, nil
}

// parseSpan reads one value of an estimate.
func parseSpan(s string) (time.Duration, error) {
	raw := strings.TrimSpace(s)
	s = unitWords.Replace(strings.ReplaceAll(raw, " ", ""))
	if m := hoursMinutes.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		min, _ := strconv.Atoi(m[2])
		return time.Duration(h)*time.Hour + time.Duration(min)*time.Minute, nil
	}
	if hoursThenMinutes.MatchString(s) {
		s += "m"
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("duration %q has no unit: write %sm for minutes or %sh for hours", raw, raw, raw)
	}
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("invalid duration %q", raw)
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q", raw)
	}
	return d, nil
}
