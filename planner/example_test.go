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
	// plan.yaml:6:5: unknown field "duraton" in step; valid fields: id, title, phase, duration, after, asset, role, gate, needs, backout, backout_only, timer, kind, service, rule, domain, require
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

func ExampleLint() {
	const src = `plan: mini
lead: Ana
window: {start: 2026-12-05 08:00, end: 2026-12-05 20:00, timezone: Europe/Paris}
crew:
  - {name: Ana, roles: [lead, tech]}
assets:
  - {id: db-1, from: {site: PA2}, to: {site: PA3}, power: 400, cooldown: 30m}
sites: [{id: PA2}, {id: PA3}]
backups:
  - {id: nightly, of: db-1, stored_on: db-1, verified: true}
stakeholders:
  - {id: customers, notice: 5d, ack: true}
steps:
  - {id: move, title: Move db-1, duration: 2h, asset: db-1}
`
	p, err := planner.Parse("mini.yaml", []byte(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range planner.Lint(p) {
		fmt.Println(f)
		fmt.Println("  lesson:", f.Lesson)
	}
	// Output:
	// mini.yaml:10:5: error L001: backup nightly of db-1 is stored on db-1 itself, and db-1 has no verified copy anywhere else; keep a verified copy of db-1 off the moved assets, e.g. a backup with of: db-1, stored_on: offsite:s3-paris, verified: true
	//   lesson: Online 2017: backups were tied to the server and destroyed with it
	// mini.yaml:12:5: warning L002: stakeholder customers is told 5d before the window, less than 14d; write notice: 21d (at least 14d), and say in the notice how long the move lasts
	//   lesson: Online 2017: one e-mail, then nothing until five days before; Wanadoo: customers were told a migration would happen, not how long it would last
}
