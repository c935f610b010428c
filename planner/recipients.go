package planner

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
)

// MaxRecipients bounds the recipients of one stakeholder.
const MaxRecipients = 100000

// ParseRecipient reads "Name <email>" or "email".
func ParseRecipient(s string) (Recipient, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil || !strings.Contains(a.Address, "@") {
		return Recipient{}, fmt.Errorf("recipient %q is not an e-mail address; write e.g. \"Jeanne Petit <jeanne.petit@customer.example>\" or {name: Jeanne Petit, email: jeanne.petit@customer.example}", s)
	}
	return Recipient{Name: a.Name, Email: strings.ToLower(a.Address)}, nil
}

// RecipientsOf returns the recipients of a stakeholder: those the plan
// lists, then those of its recipients file (read relative to the plan's
// file), each e-mail address once. A file that cannot be read, or a line
// that is not a recipient, is an error naming file:line.
func (p *Plan) RecipientsOf(id string) ([]Recipient, error) {
	i := slices.IndexFunc(p.Stakeholders, func(s Stakeholder) bool { return s.ID == id })
	if i < 0 {
		var ids []string
		for _, s := range p.Stakeholders {
			ids = append(ids, s.ID)
		}
		return nil, fmt.Errorf("plan %s has no stakeholder %q; %s", p.Name, id, Hint(id, "stakeholders", ids))
	}
	s := p.Stakeholders[i]
	out := slices.Clone(s.Recipients)
	if s.RecipientsFile != "" {
		path := s.RecipientsFile
		if !filepath.IsAbs(path) && p.File != "" {
			path = filepath.Join(filepath.Dir(p.File), path)
		}
		b, err := ReadFile("recipients file", path)
		if err != nil {
			return nil, fmt.Errorf("stakeholder %s: %w", id, err)
		}
		more, err := readRecipients(path, b)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	seen := map[string]bool{}
	uniq := out[:0]
	for _, r := range out {
		if !seen[r.Email] {
			seen[r.Email] = true
			uniq = append(uniq, r)
		}
	}
	if len(uniq) > MaxRecipients {
		return nil, fmt.Errorf("stakeholder %s has %d recipients, more than %d: split it into several stakeholders", id, len(uniq), MaxRecipients)
	}
	return uniq, nil
}

// readRecipients reads a CSV of recipients: a header naming an "email"
// column (also "e-mail", "mail") and optionally "name"; ',' or ';'.
func readRecipients(path string, b []byte) ([]Recipient, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	first, _, _ := bytes.Cut(b, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(b))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: no header line (%v); write e.g. name,email", path, err)
	}
	col := func(names ...string) int {
		return slices.IndexFunc(header, func(h string) bool { return slices.Contains(names, strings.ToLower(strings.TrimSpace(h))) })
	}
	email, name := col("email", "e-mail", "mail"), col("name", "nom", "contact")
	if email < 0 {
		return nil, fmt.Errorf("%s:1: no email column in the header %q; write e.g. name,email", path, strings.Join(header, ","))
	}
	var out []Recipient
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if email >= len(rec) {
			return nil, fmt.Errorf("%s:%d: no email (the line has %d fields)", path, line, len(rec))
		}
		rc, err := ParseRecipient(rec[email])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		if name >= 0 && name < len(rec) && strings.TrimSpace(rec[name]) != "" {
			rc.Name = strings.TrimSpace(rec[name])
		}
		out = append(out, rc)
		if len(out) > MaxRecipients {
			return nil, fmt.Errorf("%s: more than %d recipients: split the file", path, MaxRecipients)
		}
	}
}
