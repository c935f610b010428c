package planner_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dcmove/dcmove/planner"
)

// The details of checks, domain checks, gates' requirements, recipients
// and the notices block: read as written, and refused where they cannot
// mean what their author meant.
func TestParseChecksAndNotices(t *testing.T) {
	p, err := planner.Parse("plan.yaml", []byte(fullWith(
		"      - {kind: tcp, target: db-1:5432, from: [a, b]}",
		"      - {kind: tcp, target: db-1:5432, timeout: 10s, retries: 2, from: [a, b]}\n      - {kind: http, target: https://db.example.fr/, status: 204, body: ok, from: [a, b]}",
		"  - {name: www.example.fr, service: web, ttl: 300}",
		"  - name: www.example.fr\n    service: web\n    ttl: 300\n    checks:\n      - {kind: dns, type: aaaa, expect: \"2001:db8::1\", resolver: 9.9.9.9, max_ttl: 300, from: [a, b]}",
		"  - {id: customers, notice: 21d, ack: true}",
		"  - {id: customers, notice: 21d, ack: true, recipients: [\"Jeanne Petit <Jeanne@Example.FR>\", {name: Marc, email: marc@example.fr}]}\nnotices: {contact: \"Claire, +33 1 00 00 00 00\", smtp: \"smtp.example.fr:587\", from: ops@example.fr, ack_url: \"https://move.example.fr\"}",
		"  - {id: a, title: A, duration: 30m, needs: {dock: 1}}",
		"  - {id: a, title: A, duration: 30m, needs: {dock: 1}}\n  - {id: go, title: Go, duration: 10m, gate: true, require: [firewall, checks, acks], after: [a]}",
	)))
	if err != nil {
		t.Fatal(err)
	}
	db := p.Services[1].Checks
	if db[0].Timeout != 10*time.Second || db[0].Retries != 2 || db[1].Status != 204 || db[1].Body != "ok" || db[1].ID != "db-http" {
		t.Errorf("service checks: %+v", db)
	}
	dom := p.Domains[0].Checks
	if len(dom) != 1 || dom[0].ID != "www-example-fr-dns" || dom[0].Target != "www.example.fr" || dom[0].Type != "AAAA" || dom[0].MaxTTL != 5*time.Minute || dom[0].Resolver != "9.9.9.9" {
		t.Errorf("domain checks: %+v", dom)
	}
	rs, err := p.RecipientsOf("customers")
	if err != nil || len(rs) != 2 || rs[0] != (planner.Recipient{Name: "Jeanne Petit", Email: "jeanne@example.fr"}) || rs[1].Name != "Marc" {
		t.Errorf("recipients: %+v (%v)", rs, err)
	}
	if p.Notices.SMTP != "smtp.example.fr:587" || p.Notices.AckURL != "https://move.example.fr" || p.Notices.Contact == "" {
		t.Errorf("notices: %+v", p.Notices)
	}
	if st := p.Steps[1]; st.ID != "go" || strings.Join(st.Require, ",") != "firewall,checks,acks" {
		t.Errorf("require: %v", st.Require)
	}

	runInvalid(t, []invalidCase{
		{name: "a detail of another kind", yaml: fullWith("      - {kind: tcp, target: db-1:5432, from: [a, b]}", "      - {kind: tcp, target: db-1:5432, body: ok, from: [a, b]}"),
			wantPos: "plan.yaml:40:40", wantMsg: `"body" is for http checks, and check db-tcp is a tcp check; remove it`},
		{name: "an unknown record type", yaml: fullWith("  - {name: www.example.fr, service: web, ttl: 300}", "  - {name: www.example.fr, service: web, ttl: 300, checks: [{kind: dns, type: AX, expect: 1.2.3.4}]}"),
			wantPos: "plan.yaml:44:79", wantMsg: `record type "AX": write one of A, AAAA`},
		{name: "retries without end", yaml: fullWith("      - {kind: tcp, target: db-1:5432, from: [a, b]}", "      - {kind: tcp, target: db-1:5432, retries: 50, from: [a, b]}"),
			wantPos: "plan.yaml:40:49", wantMsg: "more than 10"},
		{name: "require on a step that is no gate", yaml: fullWith("  - {id: a, title: A, duration: 30m, needs: {dock: 1}}", "  - {id: a, title: A, duration: 30m, needs: {dock: 1}, require: [checks]}"),
			wantPos: "plan.yaml:50:56", wantMsg: "only a go/no-go gate can require checks"},
		{name: "an unknown requirement", yaml: fullWith("  - {id: a, title: A, duration: 30m, needs: {dock: 1}}", "  - {id: a, title: A, duration: 30m, needs: {dock: 1}, gate: true, require: [backups]}"),
			wantPos: "plan.yaml:50:78", wantMsg: `require: "backups" is not something a gate can require; write firewall or checks or acks`},
		{name: "a recipient with no address", yaml: fullWith("  - {id: customers, notice: 21d, ack: true}", "  - {id: customers, notice: 21d, ack: true, recipients: [Jeanne Petit]}"),
			wantPos: "plan.yaml:48:58", wantMsg: `recipient "Jeanne Petit" is not an e-mail address`},
		{name: "an smtp with no port", yaml: fullWith("  - {id: customers, notice: 21d, ack: true}", "  - {id: customers, notice: 21d, ack: true}\nnotices: {smtp: smtp.example.fr}"),
			wantPos: "plan.yaml:49:17", wantMsg: `smtp "smtp.example.fr": write host:port`},
	})
}

// A recipients file is read relative to the plan, with a header naming
// its columns; a bad line is named file:line.
func TestRecipientsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("plan.yaml", fullWith("  - {id: customers, notice: 21d, ack: true}", "  - {id: customers, notice: 21d, ack: true, recipients: [a@example.fr], recipients_file: customers.csv}"))
	write("customers.csv", "\ufeffNom;E-mail;Compte\nJeanne Petit;jeanne@example.fr;1042\n;A@example.fr;1043\n\nMarc;marc@example.fr;1044\n")
	p, err := planner.Load(filepath.Join(dir, "plan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := p.RecipientsOf("customers")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[1] != (planner.Recipient{Name: "Jeanne Petit", Email: "jeanne@example.fr"}) || rs[2].Email != "marc@example.fr" {
		t.Errorf("recipients: %+v (a@example.fr once, from the plan)", rs)
	}
	write("customers.csv", "name,email\nJeanne,jeanne@example.fr\nMarc,not an address\n")
	if _, err := p.RecipientsOf("customers"); err == nil || !strings.Contains(err.Error(), "customers.csv:3: ") {
		t.Errorf("a bad line: %v, want customers.csv:3", err)
	}
	write("customers.csv", "name,phone\nJeanne,0102\n")
	if _, err := p.RecipientsOf("customers"); err == nil || !strings.Contains(err.Error(), "no email column") {
		t.Errorf("no email column: %v", err)
	}
	if _, err := p.RecipientsOf("custmers"); err == nil || !strings.Contains(err.Error(), `did you mean "customers"`) {
		t.Errorf("unknown stakeholder: %v", err)
	}
}
