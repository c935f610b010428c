package planner_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
)

const expandPlan = `
plan: small
runbook: mini
window: {start: 2026-12-05 07:00, end: 2026-12-06 20:00, timezone: Europe/Paris}
lead: Claire
crew:
  - {name: Claire, roles: [lead]}
  - {name: Julien, roles: [tech, app]}
sites:
  - {id: pa2, title: PA2}
  - {id: pa3, title: PA3}
transport:
  - {id: cart, title: Cart, capacity_u: 4, trip: 20m}
services:
  - {id: db, title: Database, vital: true, rto: 4h}
  - {id: api, title: API, depends_on: [db], rto: 4h}
  - {id: web, title: Web, depends_on: [api], rto: 4h}
assets:
  - {id: db-1, kind: server, from: {site: pa2, rack: R1, u: 10}, to: {site: pa3, rack: R7, u: 10}, height: 2, power: 400, cooldown: 30m, services: [db]}
  - {id: app-1, kind: server, from: {site: pa2, rack: R1, u: 20}, to: {site: pa3, rack: R7, u: 20}, height: 2, power: 300, cooldown: 30m, services: [api, web]}
  - {id: sw-1, kind: switch, from: {site: pa2, rack: R2, u: 40}, to: {site: pa3, rack: R8, u: 40}, height: 1}
  - {id: old-1, kind: server, from: {site: pa2, rack: R3, u: 1}, height: 1, decommission: true}
steps:
  - {id: call-remote-hands, title: Call the remote hands, duration: 10m, role: lead, after: [go]}
`

const miniTemplate = `
runbook: mini
phases:
  - {id: move, timing: window}
  - {id: after, timing: after}
steps:
  - {id: go, title: Go/no-go, phase: move, duration: 15m, role: lead, gate: true}
  - id: stop-<id>
    for: services
    where: moved
    title: Stop <title>
    phase: move
    duration: 10m
    role: app
    after: [go, stop-<dependents>]
    backout: [restart-<id>]
  - id: shutdown-<id>
    for: assets
    where: moved
    title: Shut down <title>
    phase: move
    duration: 5m
    role: tech
    after: [go, stop-<services>]
  - {id: cooldown-<id>, for: assets, where: cooldown, title: Cool <title>, phase: move, duration: item, after: [shutdown-<id>]}
  - {id: unrack-<id>, for: assets, where: moved, title: Unrack <title>, phase: move, duration: 20m, role: tech, after: [shutdown-<id>, cooldown-<id>]}
  - {id: carry-<id>, for: trips, title: Carry <title>, phase: move, duration: item, role: tech, needs: [<vehicle>], after: [unrack-<assets>]}
  - {id: rack-<id>, for: assets, where: moved, title: Rack <title>, phase: move, duration: 20m, role: tech, after: [carry-<trip>]}
  - {id: done, title: All racked, phase: move, duration: 5m, role: lead, after: [rack-<*>]}
  - {id: restart-<id>, for: services, where: moved, title: Restart <title> at the source, phase: move, duration: 10m, role: app, backout_only: true}
  - {id: retire-<id>, for: assets, where: decommission, title: Retire <title>, phase: after, duration: 1h, role: lead, after: [done]}
`

func expand(t *testing.T, plan, template string) (*planner.Runbook, error) {
	t.Helper()
	p, err := planner.Parse("small.yaml", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := planner.ParseTemplate("mini.yaml", []byte(template))
	if err != nil {
		t.Fatal(err)
	}
	return planner.Expand(p, tpl)
}

func after(t *testing.T, rb *planner.Runbook, id string) []string {
	t.Helper()
	s, ok := rb.Step(id)
	if !ok {
		t.Fatalf("no step %s; steps: %v", id, ids(rb))
	}
	return s.After
}

func ids(rb *planner.Runbook) []string {
	var out []string
	for _, s := range rb.Steps {
		out = append(out, s.ID)
	}
	return out
}

func TestExpand(t *testing.T) {
	rb, err := expand(t, expandPlan, miniTemplate)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want []string
	}{
		// Ordered shutdown: a service stops after the services that depend on it.
		{"db stops after api", after(t, rb, "stop-db"), []string{"go", "stop-api"}},
		{"web stops first", after(t, rb, "stop-web"), []string{"go"}},
		{"app-1 shuts down after its services", after(t, rb, "shutdown-app-1"), []string{"go", "stop-api", "stop-web"}},
		// The switch has no cool-down: its unrack waits for the shutdown only.
		{"powered asset cools down", after(t, rb, "unrack-db-1"), []string{"shutdown-db-1", "cooldown-db-1"}},
		{"switch needs no cool-down", after(t, rb, "unrack-sw-1"), []string{"shutdown-sw-1"}},
		// Two trips of a 4U cart carry 5U: first fit decreasing.
		{"trip 1", after(t, rb, "carry-trip-1"), []string{"unrack-db-1", "unrack-app-1"}},
		{"trip 2", after(t, rb, "carry-trip-2"), []string{"unrack-sw-1"}},
		{"rack waits for its trip", after(t, rb, "rack-sw-1"), []string{"carry-trip-2"}},
		{"<*> binds every expansion", after(t, rb, "done"), []string{"rack-db-1", "rack-app-1", "rack-sw-1"}},
		{"only decommissioned assets retire", filter(ids(rb), "retire-"), []string{"retire-old-1"}},
		{"unmoved assets are not shut down", filter(ids(rb), "shutdown-"), []string{"shutdown-db-1", "shutdown-app-1", "shutdown-sw-1"}},
		{"plan steps join the runbook", after(t, rb, "call-remote-hands"), []string{"go"}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	stop, _ := rb.Step("stop-api")
	if !slices.Equal(stop.Backout, []string{"restart-api"}) || stop.Service != "api" || stop.Template != "stop-<id>" {
		t.Errorf("stop-api: backout %v, service %q, template %q", stop.Backout, stop.Service, stop.Template)
	}
	cool, _ := rb.Step("cooldown-db-1")
	if cool.Duration.Likely.Minutes() != 30 || cool.Role != "" {
		t.Errorf("cooldown-db-1 takes %s (want the asset's 30m) with role %q", cool.Duration, cool.Role)
	}
	carry, _ := rb.Step("carry-trip-1")
	if len(carry.Needs) != 1 || carry.Needs[0].Resource != "cart" || carry.Duration.Likely.Minutes() != 20 {
		t.Errorf("carry-trip-1 needs %v for %s", carry.Needs, carry.Duration)
	}
	if len(rb.Trips) != 2 || rb.Trips[0].Height != 4 {
		t.Errorf("trips %+v", rb.Trips)
	}
	if rb.Timing("after") != "after" || rb.Timing("move") != "window" {
		t.Errorf("timings: %s %s", rb.Timing("after"), rb.Timing("move"))
	}
}

func filter(ids []string, prefix string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name, plan, template, want string
	}{
		{"plan step collides with the runbook",
			strings.Replace(expandPlan, "id: call-remote-hands", "id: done", 1), miniTemplate,
			`small.yaml:24:5: step "done" is also a step of runbook mini`},
		{"cycle through the template",
			expandPlan, strings.Replace(miniTemplate, "role: lead, gate: true}", "role: lead, gate: true, after: [done]}", 1),
			"steps depend on each other in a circle"},
		{"asset taller than the vehicle",
			strings.Replace(expandPlan, "height: 2, power: 400", "height: 6, power: 400", 1), miniTemplate,
			"asset db-1 is 6U but vehicle cart carries at most 4U"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := expand(t, tt.plan, tt.template)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, planner.ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		name, edit, with, want string
	}{
		{"unknown kind", "for: trips,", "for: lorries,", `mini.yaml:27:27: cannot expand for "lorries"`},
		{"unknown predicate", "where: cooldown,", "where: hot,", `"hot" is not a predicate of assets`},
		{"unknown phase", "phase: after,", "phase: later,", `unknown phase "later"`},
		{"unknown reference", "after: [done]}", "after: [dones]}", `after "dones" names no template step; did you mean "done"?`},
		{"relation of another kind", "after: [carry-<trip>]}", "after: [carry-<dependents>]}", "{dependents} is not a relation of assets"},
		{"expanded id without <id>", "id: unrack-<id>,", "id: unrack,", `its id must contain <id>`},
		{"duration item on services", "title: Restart <title> at the source, phase: move, duration: 10m", "title: Restart <title> at the source, phase: move, duration: item", "duration: item needs an item with a duration"},
		{"unknown field", "backout_only: true}", "backout_onyl: true}", `unknown field "backout_onyl" in template step`},
		{"unknown timer", "duration: item, after: [shutdown-<id>]}", "duration: item, timer: alarm, after: [shutdown-<id>]}", `timer "alarm" is not one of cooldown, grace`},
		{"cooldown timer not on an asset", "{id: done, title: All racked,", "{id: done, timer: cooldown, title: All racked,", "a cooldown timer waits for an asset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(miniTemplate, tt.edit, tt.with, 1)
			if src == miniTemplate {
				t.Fatalf("edit %q not found in the template", tt.edit)
			}
			_, err := planner.ParseTemplate("mini.yaml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
