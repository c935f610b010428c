package planner_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/dcmove/dcmove/planner"
	"github.com/nats-io/nkeys"
)

func userKey(t *testing.T) (pub, seed string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := kp.PublicKey()
	s, _ := kp.Seed()
	return p, string(s)
}

// keyed is a plan whose crew is written by the case, from line 7.
func keyed(crew string) string {
	return `plan: mini
lead: Ana
window:
  start: 2026-12-05 08:00
  end: 2026-12-05 20:00
  timezone: Europe/Paris
crew:
` + crew + `steps:
  - {id: a, title: A, duration: 1h}
`
}

func TestCrewKeys(t *testing.T) {
	ana, anaSeed := userKey(t)
	bob, _ := userKey(t)
	account, _ := nkeys.CreateAccount()
	accountPub, _ := account.PublicKey()

	p, err := planner.Parse("plan.yaml", []byte(keyed("  - {name: Ana, roles: [lead], key: "+ana+"}\n  - {name: Bob, roles: [tech], key: "+bob+"}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !p.RequiresKeys() || p.Crew[0].Key != ana || p.Crew[1].Key != bob || p.Crew[1].KeyPos.Line != 9 {
		t.Fatalf("crew %+v", p.Crew)
	}
	if p, err := planner.Parse("plan.yaml", []byte(keyed("  - {name: Ana, roles: [lead]}\n"))); err != nil || p.RequiresKeys() {
		t.Fatalf("a plan without keys: %v, requires keys %v", err, p.RequiresKeys())
	}

	for _, tc := range []struct {
		name, crew, pos string
		want            []string
	}{
		{"not a key", "  - {name: Ana, roles: [lead], key: hello}\n", "plan.yaml:8:37",
			[]string{`crew key "hello" is not a public NKey`, "dcmove keys new NAME --out FILE"}},
		{"an account key", "  - {name: Ana, roles: [lead], key: " + accountPub + "}\n", "plan.yaml:8:37",
			[]string{"is a public NKey but not a user key (a user key starts with U)"}},
		{"a seed", "  - {name: Ana, roles: [lead], key: " + anaSeed + "}\n", "plan.yaml:8:37",
			[]string{"crew key is a seed (a secret)", "make a new key for this person"}},
		{"the same key twice", "  - {name: Ana, roles: [lead], key: " + ana + "}\n  - {name: Bob, roles: [tech], key: " + ana + "}\n", "plan.yaml:9:37",
			[]string{`crew member "Bob" has the key of "Ana" (line 8)`, `dcmove keys new "Bob"`}},
		{"a member without a key", "  - {name: Ana, roles: [lead], key: " + ana + "}\n  - {name: Bob, roles: [tech]}\n", "plan.yaml:9:5",
			[]string{`crew member "Bob" has no key, but other members have one`, `dcmove keys new "Bob" --out FILE`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := planner.Parse("plan.yaml", []byte(keyed(tc.crew)))
			var errs planner.Errors
			if !errors.As(err, &errs) || !errors.Is(err, planner.ErrInvalid) {
				t.Fatalf("err = %v, want plan errors", err)
			}
			if got := errs[0].Pos.String(); got != tc.pos {
				t.Errorf("at %s, want %s: %v", got, tc.pos, errs[0])
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%v\ndoes not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), anaSeed) {
				t.Errorf("the error repeats the seed: %v", err)
			}
		})
	}
}
