package planner_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dcmove/dcmove/planner"
)

func ExampleParse() {
	const src = `
plan: mini
title: Mini move
window:
  start: 2026-12-05 08:00
  end: 2026-12-06 20:00
  timezone: Europe/Paris
crew:
  - {name: Ana, roles: [lead, tech]}
assets:
  - {id: web-1, kind: server}
steps:
  - {id: shutdown, title: Shut down web-1, duration: 1h}
  - {id: unrack, title: Unrack web-1, duration: 20m/30m/1h, after: shutdown, asset: web-1}
`
	p, err := planner.Parse("mini.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Summary())
	fmt.Println(strings.Join(p.Order(), " -> "))
	// Output:
	// plan mini "Mini move": 2 steps, 1 asset, 1 crew; window Sat 5 Dec 08:00 – Sun 6 Dec 20:00 Europe/Paris (36h); critical path 1h30m (likely)
	// shutdown -> unrack
}

func ExampleParse_errors() {
	const src = `plan: mini
window: {start: 2026-12-05 08:00, end: 2026-12-05 20:00, timezone: Europe/Paris}
steps:
  - id: unrack-web1
    title: Unrack web-1
    duraton: 30m
  - id: carry
    title: Carry web-1 to PA3
    duration: 20m/30m/1h
    after: unrack-web
`
	_, err := planner.Parse("plan.yaml", []byte(src))
	fmt.Println(errors.Is(err, planner.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// plan.yaml:6:5: unknown field "duraton" in step; valid fields: id, title, phase, duration, after, asset, role, gate
	// plan.yaml:10:12: step "carry" is after unknown step "unrack-web"; did you mean "unrack-web1"?
}

func ExamplePlan_CriticalPath() {
	const src = `plan: mini
window: {start: 2026-12-05 08:00, end: 2026-12-05 20:00, timezone: UTC}
steps:
  - {id: a, title: A, duration: 1h}
  - {id: b, title: B, duration: 2h, after: a}
  - {id: c, title: C, duration: 30m, after: a}
  - {id: d, title: D, duration: 1h, after: [b, c]}
`
	p, err := planner.Parse("mini.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, path := p.CriticalPath()
	fmt.Println(d, path)
	// Output:
	// 4h0m0s [a b d]
}
