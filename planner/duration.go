package planner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// ParseDuration reads an estimate as a plan file or a spreadsheet writes it:
// one value ("30m", "1h30m") or optimistic/likely/pessimistic ("20m/30m/1h").
// Each value may also be written in days ("2d"). The error says what to
// write instead.
func ParseDuration(s string) (Duration, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 1 && len(parts) != 3 {
		return Duration{}, fmt.Errorf("duration %q needs one value or three (optimistic/likely/pessimistic); write e.g. %s", s, exampleDuration)
	}
	spans := make([]time.Duration, len(parts))
	for i, part := range parts {
		v, err := parseSpan(strings.TrimSpace(part))
		if err != nil {
			return Duration{}, fmt.Errorf("invalid duration %q: write e.g. 30m, 1h30m or 20m/30m/1h (units d, h, m, s)", s)
		}
		spans[i] = v
	}
	d := Duration{spans[0], spans[0], spans[0]}
	if len(spans) == 3 {
		d = Duration{spans[0], spans[1], spans[2]}
	}
	return d, d.check()
}

// check reports an estimate that is not positive or not in order.
func (d Duration) check() error {
	switch {
	case d.Optimistic <= 0 || d.Likely <= 0 || d.Pessimistic <= 0:
		return fmt.Errorf("duration %s must be greater than zero; write e.g. %s", d, exampleDuration)
	case d.Optimistic > d.Likely || d.Likely > d.Pessimistic:
		return fmt.Errorf("duration %s must have optimistic <= likely <= pessimistic, shortest first; write e.g. 20m/30m/1h", d)
	}
	return nil
}

// parseSpan is time.ParseDuration that also accepts whole days ("10d").
func parseSpan(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err == nil && fmt.Sprint(n) == days {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

// Sample draws a duration from the triangular distribution over the
// estimate: never below Optimistic nor above Pessimistic, most often near
// Likely. An estimate with no range (or a Likely outside it) gives Likely.
func (d Duration) Sample(rng *rand.Rand) time.Duration {
	lo, mode, hi := float64(d.Optimistic), float64(d.Likely), float64(d.Pessimistic)
	if hi <= lo || mode < lo || mode > hi {
		return d.Likely
	}
	u := rng.Float64()
	if u < (mode-lo)/(hi-lo) {
		return time.Duration(lo + math.Sqrt(u*(hi-lo)*(mode-lo)))
	}
	return time.Duration(hi - math.Sqrt((1-u)*(hi-lo)*(hi-mode)))
}
