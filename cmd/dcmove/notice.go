package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dcmove/dcmove/events"
	"github.com/dcmove/dcmove/internal/redact"
	"github.com/dcmove/dcmove/planner"
	"github.com/dcmove/dcmove/runbooks"
	"github.com/urfave/cli/v2"
	mail "github.com/wneessen/go-mail"
)

func (m *Main) noticeCommand() *cli.Command {
	stakeholder := func(c *cli.Context) (string, error) {
		if c.NArg() != 1 {
			return "", usagef("give one stakeholder id, e.g. %s customers", c.Command.HelpName)
		}
		id := c.Args().First()
		return id, checkIDArg("stakeholder", id)
	}
	planFlag := &cli.StringFlag{Name: "plan", Usage: "the plan file with the stakeholders' recipients (default: the file the run was started from)"}
	mailFlags := []cli.Flag{
		&cli.StringFlag{Name: "smtp", Usage: "mail server host:port (default: the plan's notices.smtp)"},
		&cli.StringFlag{Name: "from", Usage: "the sender, e.g. \"Workit operations <ops@workit.fr>\" (default: the plan's notices.from)"},
		&cli.StringFlag{Name: "smtp-user", EnvVars: []string{"DCMOVE_SMTP_USER"}, Usage: "user to log in to the mail server with"},
		&cli.StringFlag{Name: "smtp-password-file", EnvVars: []string{"DCMOVE_SMTP_PASSWORD_FILE"}, Usage: "file holding the mail server's password (never a flag: it would show in ps)"},
		&cli.StringFlag{Name: "tls", Value: "starttls", Usage: "starttls (required), tls (implicit, port 465), or none (a relay on loopback only)"},
		&cli.StringFlag{Name: "smtp-ca", Usage: "CA certificate (PEM) to verify the mail server with, instead of the system's"},
		&cli.StringFlag{Name: "ack-url", Usage: "the address the war-room page is served at (dcmove serve --http): acknowledgement links start with it (default: the plan's notices.ack_url)"},
		&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "for the mail server's connection and each command"},
	}
	return &cli.Command{
		Name:  "notice",
		Usage: "the notices to stakeholders: write them, send them by mail with a link to acknowledge, and follow who did",
		Subcommands: []*cli.Command{
			{
				Name: "draft", Usage: "write the notice to a stakeholder: the window, each service's planned downtime against its objective, the point of contact",
				ArgsUsage: "STAKEHOLDER",
				Flags:     append(logFlags(), runFlag(), planFlag, outputFlag()),
				Action: func(c *cli.Context) error {
					if err := checkOutput(c, "text", "json"); err != nil {
						return err
					}
					id, err := stakeholder(c)
					if err != nil {
						return err
					}
					nc, err := m.noticeContext(c, id)
					if err != nil {
						return err
					}
					defer nc.lr.l.Close()
					name := "<recipient's name>"
					if len(nc.recipients) > 0 {
						name = cmp.Or(nc.recipients[0].Name, nc.recipients[0].Email)
					}
					subject, body := nc.notice(name, cmp.Or(nc.ackURL, "<address of the war-room page>")+"/ack/<the recipient's own link>", false)
					if jsonOutput(c) {
						return writeDoc(m.Stdout, "notice-draft", struct {
							Stakeholder string   `json:"stakeholder"`
							Recipients  int      `json:"recipients"`
							Subject     string   `json:"subject"`
							Body        string   `json:"body"`
							Warnings    []string `json:"warnings"`
						}{id, len(nc.recipients), subject, body, orEmpty(nc.warnings)})
					}
					fmt.Fprintf(m.Stdout, "Subject: %s\n\n%s", subject, body)
					for _, w := range nc.warnings {
						fmt.Fprintln(m.Stderr, "dcmove: warning:", w)
					}
					fmt.Fprintf(m.Stderr, "dcmove: %d recipients for %s; send it with: dcmove notice send %s --as NAME\n", len(nc.recipients), id, id)
					return nil
				},
			},
			{
				Name: "send", Usage: "send the notice by mail, one message per recipient, each with its own acknowledgement link; records each as sent or bounced",
				ArgsUsage: "STAKEHOLDER",
				Flags: append(append(logFlags(), runFlag(), actorFlag(), keyFlag(), planFlag,
					&cli.BoolFlag{Name: "again", Usage: "send also to the recipients sent to before (with new links)"}, outputFlag()), mailFlags...),
				Action: func(c *cli.Context) error { return m.noticeSend(c, false) },
			},
			{
				Name: "remind", Usage: "send the notice again to those who have not acknowledged it (new links; the old ones still work)",
				ArgsUsage: "STAKEHOLDER",
				Flags:     append(append(logFlags(), runFlag(), actorFlag(), keyFlag(), planFlag, outputFlag()), mailFlags...),
				Action:    func(c *cli.Context) error { return m.noticeSend(c, true) },
			},
			{
				Name: "ack", Usage: "record an acknowledgement received another way (a phone call, a reply)",
				ArgsUsage: "STAKEHOLDER",
				Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
					&cli.StringFlag{Name: "recipient", Required: true, Usage: "who acknowledged: their e-mail address, or a name for a stakeholder reached another way"},
					&cli.StringFlag{Name: "via", Value: "phone", Usage: "how: phone, mail, meeting..."},
					&cli.StringFlag{Name: "note", Usage: "anything worth keeping (who called whom)"}),
				Action: func(c *cli.Context) error {
					id, err := stakeholder(c)
					if err != nil {
						return err
					}
					return m.record(c, "notice "+c.Command.Name, func(cut *runbooks.Cutover, run, actor string) (*runbooks.Outcome, error) {
						return cut.AcknowledgeNotice(c.Context, run, actor, id, c.String("recipient"), c.String("via"), c.String("note"))
					})
				},
			},
			{
				Name: "waive", Usage: "the lead goes on without a stakeholder's acknowledgements, and says why (a deviation on the record)",
				ArgsUsage: "STAKEHOLDER",
				Flags: append(logFlags(), runFlag(), actorFlag(), keyFlag(), outputFlag(),
					&cli.StringFlag{Name: "reason", Required: true, Usage: "why: recorded with your name"}),
				Action: func(c *cli.Context) error {
					id, err := stakeholder(c)
					if err != nil {
						return err
					}
					return m.record(c, "notice "+c.Command.Name, func(cut *runbooks.Cutover, run, actor string) (*runbooks.Outcome, error) {
						return cut.WaiveNotice(c.Context, run, actor, id, c.String("reason"))
					})
				},
			},
			{
				Name: "status", Usage: "who has not acknowledged, and how close each deadline is",
				ArgsUsage: "[STAKEHOLDER]",
				Flags: append(logFlags(), runFlag(), outputFlag(),
					&cli.BoolFlag{Name: "all", Usage: "list everyone not acknowledged (default: the first 20 of each)"}),
				Action: m.noticeStatus,
			},
		},
	}
}

// noticeCtx is what writing and sending a stakeholder's notice needs.
type noticeCtx struct {
	lr          *loadedRun
	plan        *planner.Plan
	stakeholder events.StakeholderDef
	recipients  []planner.Recipient
	ackURL      string
	warnings    []string
}

// noticeContext loads the run and the plan with the stakeholder's
// recipients.
func (m *Main) noticeContext(c *cli.Context, id string) (*noticeCtx, error) {
	lr, err := m.loadRun(c, false, c.Command.Name != "draft")
	if err != nil {
		return nil, err
	}
	nc := &noticeCtx{lr: lr}
	fail := func(err error) (*noticeCtx, error) { lr.l.Close(); return nil, err }
	var ok bool
	if nc.stakeholder, ok = lr.r.Notices.Stakeholder(id); !ok {
		var ids []string
		for _, s := range lr.r.Notices.Stakeholders {
			ids = append(ids, s.ID)
		}
		return fail(usagef("run %s has no stakeholder %s; %s", lr.r.ID, id, planner.Hint(id, "stakeholders", ids)))
	}
	path := cmp.Or(c.String("plan"), lr.r.File)
	if path == "" {
		return fail(usagef("run %s does not say which plan file it was started from: give --plan FILE", lr.r.ID))
	}
	if nc.plan, err = planner.Load(path); err != nil {
		return fail(usageError{fmt.Errorf("the plan with the recipients, %s: %w (give --plan FILE)", path, err)})
	}
	if nc.plan.Name != lr.r.Plan {
		return fail(usagef("%s is plan %s, and run %s was started from plan %s: give --plan with that plan's file", path, nc.plan.Name, lr.r.ID, lr.r.Plan))
	}
	if nc.recipients, err = nc.plan.RecipientsOf(id); err != nil {
		return fail(usageError{err})
	}
	nc.ackURL = strings.TrimSuffix(cmp.Or(c.String("ack-url"), nc.plan.Notices.AckURL), "/")
	return nc, nil
}

// notice writes the notice to one recipient: the subject and the body.
func (nc *noticeCtx) notice(name, link string, reminder bool) (subject, body string) {
	r := nc.lr.r
	loc := r.Location()
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04") }
	title := cmp.Or(r.Title, r.Plan)
	subject = fmt.Sprintf("Planned maintenance: %s, %s to %s (%s)", title, when(r.WindowStart), when(r.WindowEnd), r.TimeZone)
	if reminder {
		subject = "Reminder: " + subject
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", name)
	if reminder {
		b.WriteString("We have not had your acknowledgement of the notice below yet.\n\n")
	}
	fmt.Fprintf(&b, "%s takes place from %s to %s (%s).\n\n", title, when(r.WindowStart), when(r.WindowEnd), r.TimeZone)
	nc.warnings = nil
	var down, up []string
	for _, sv := range r.Services {
		var from, to time.Time
		for _, st := range r.Steps {
			if st.Service != sv.ID || st.BackoutOnly {
				continue
			}
			if st.Kind == events.KindStopService && !st.PlannedStart.IsZero() {
				from = st.PlannedStart
			}
			if st.Kind == events.KindStartService && !st.PlannedEnd.IsZero() {
				to = st.PlannedEnd
			}
		}
		name := cmp.Or(sv.Title, sv.ID)
		if from.IsZero() || to.IsZero() {
			up = append(up, name)
			continue
		}
		line := fmt.Sprintf("- %s: unavailable from %s, back by %s (about %s)", name, when(from), when(to), planner.Span(to.Sub(from)))
		if sv.RTO > 0 {
			line += fmt.Sprintf("; our restoration objective for it is %s", planner.Span(sv.RTO))
			if to.Sub(from) > sv.RTO {
				nc.warnings = append(nc.warnings, fmt.Sprintf("service %s is planned down %s, longer than its restoration objective %s: the notice says so as planned; change the plan or the objective", sv.ID, planner.Span(to.Sub(from)), planner.Span(sv.RTO)))
			}
		}
		down = append(down, line)
	}
	if len(down) > 0 {
		b.WriteString("What is affected, as planned:\n")
		b.WriteString(strings.Join(down, "\n"))
		b.WriteString("\n\n")
	}
	if len(up) > 0 {
		fmt.Fprintf(&b, "Stay available throughout: %s.\n\n", strings.Join(up, ", "))
	}
	contact := nc.plan.Notices.Contact
	if contact == "" {
		contact = r.Lead + ", who leads the move"
	}
	fmt.Fprintf(&b, "Your single point of contact during the move: %s.\n", contact)
	fmt.Fprintf(&b, "Live status during the window: %s/public\n\n", cmp.Or(nc.ackURL, "(the address will follow)"))
	if nc.stakeholder.Ack {
		fmt.Fprintf(&b, "Please confirm you have read this notice, by %s:\n%s\n\n", when(r.Deadline(nc.stakeholder.ID)), link)
	}
	b.WriteString("Thank you.\n")
	return subject, b.String()
}

// noticeSend sends the notice (or a reminder) to the stakeholder's
// recipients and records each as sent or bounced.
func (m *Main) noticeSend(c *cli.Context, reminder bool) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usagef("give one stakeholder id, e.g. %s customers --as NAME", c.Command.HelpName)
	}
	id := c.Args().First()
	if err := checkIDArg("stakeholder", id); err != nil {
		return err
	}
	nc, err := m.noticeContext(c, id)
	if err != nil {
		return err
	}
	defer nc.lr.l.Close()
	r := nc.lr.r
	if nc.ackURL == "" && nc.stakeholder.Ack {
		return usagef("give --ack-url URL (the address the war-room page, dcmove serve --http, is reached at) or write notices.ack_url in the plan: each recipient's acknowledgement link starts with it")
	}
	var to []planner.Recipient
	for _, rc := range nc.recipients {
		var prev *runbooks.NoticeRecipient
		if m := r.Notices.Recipients[id]; m != nil {
			prev = m[rc.Email]
		}
		switch {
		case reminder && prev != nil && prev.Acknowledged.IsZero() && prev.Bounced == "" && prev.Sends > 0:
			to = append(to, rc)
		case !reminder && (prev == nil || prev.Sends == 0 || c.Bool("again")):
			to = append(to, rc)
		}
	}
	doc := noticeSendDoc{Stakeholder: id, Reminder: reminder, Sent: []string{}, Bounced: []noticeBounce{}, NotSent: []string{}}
	if len(to) == 0 {
		what := "everyone of " + id + " was sent the notice already (--again sends it again)"
		if reminder {
			what = "nobody of " + id + " is left to remind: every recipient sent to acknowledged, or bounced"
		}
		if jsonOutput(c) {
			doc.Note = what
			return writeDoc(m.Stdout, "notice-send", doc)
		}
		fmt.Fprintln(m.Stdout, what)
		return nil
	}
	client, err := mailClient(c, nc.plan)
	if err != nil {
		return err
	}
	from := cmp.Or(c.String("from"), nc.plan.Notices.From)
	if from == "" {
		return usagef("give --from ADDRESS or write notices.from in the plan")
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout")+time.Duration(len(to))*c.Duration("timeout")/4)
	defer cancel()
	if err := client.DialWithContext(ctx); err != nil {
		return fmt.Errorf("%w: the mail server %s: %s; nothing was sent or recorded", events.ErrUnavailable, client.ServerAddr(), redact.String(err.Error()))
	}
	defer client.Close()
	// Each message is recorded as soon as the server took it (or refused
	// its recipient), so that its link works at once and an interrupted
	// send loses nothing it did; the recording is not cut short by the
	// interrupt that stops the sending.
	record := context.WithoutCancel(c.Context)
	var sent, bounced int
	var later []string
	var failed error
	for i, rc := range to {
		if c.Context.Err() != nil {
			for _, rest := range to[i:] {
				later = append(later, rest.Email+" (interrupted)")
			}
			break
		}
		token, sum, err := newToken()
		if err != nil {
			return err
		}
		subject, body := nc.notice(cmp.Or(rc.Name, rc.Email), nc.ackURL+"/ack/"+token, reminder)
		msg := mail.NewMsg()
		if err := msg.From(from); err != nil {
			return usagef("--from %q: %v", from, err)
		}
		var s []events.NoticeSent
		var b []events.NoticeBounced
		if err := msg.AddToFormat(rc.Name, rc.Email); err != nil {
			b = append(b, events.NoticeBounced{Stakeholder: id, Recipient: rc.Email, Reason: "not an address: " + err.Error()})
		} else {
			msg.Subject(subject)
			msg.SetMessageID()
			msg.SetDate()
			msg.SetBodyString(mail.TypeTextPlain, body)
			err := client.Send(msg)
			var se *mail.SendError
			switch {
			case msg.IsDelivered():
				// Taken by the server, even if what followed failed.
				s = append(s, events.NoticeSent{Stakeholder: id, Recipient: rc.Email, Name: rc.Name, Subject: subject,
					TokenSHA256: sum, MessageID: strings.Trim(msg.GetMessageID(), "<>"), Reminder: reminder})
			case errors.As(err, &se) && se.Reason == mail.ErrSMTPRcptTo && !se.IsTemp() && strings.Contains(err.Error(), " 5"):
				b = append(b, events.NoticeBounced{Stakeholder: id, Recipient: rc.Email, Reason: redact.String(oneLine(err.Error()))})
			default:
				later = append(later, fmt.Sprintf("%s (%s)", rc.Email, redact.String(oneLine(fmt.Sprint(err)))))
			}
		}
		if len(s)+len(b) > 0 {
			if _, err := nc.lr.cut.RecordNotices(record, r.ID, nc.lr.actor, s, b); err != nil {
				failed = fmt.Errorf("%s was sent the notice but recording it failed, so its link does not work: %w; run the command again: it sends to everyone not recorded as sent", rc.Email, err)
				break
			}
		}
		sent, bounced = sent+len(s), bounced+len(b)
		for _, x := range s {
			doc.Sent = append(doc.Sent, x.Recipient)
		}
		for _, x := range b {
			doc.Bounced = append(doc.Bounced, noticeBounce{x.Recipient, x.Reason})
			if !jsonOutput(c) {
				fmt.Fprintf(m.Stdout, "  bounced: %s: %s\n", x.Recipient, x.Reason)
			}
		}
	}
	if failed != nil {
		return failed
	}
	if jsonOutput(c) && len(later) == 0 {
		return writeDoc(m.Stdout, "notice-send", doc)
	}
	word := "notice"
	if reminder {
		word = "reminder"
	}
	if jsonOutput(c) { // the error document says what was not sent
		return fmt.Errorf("%w: %s to %s: %d sent, %d bounced, %d not sent (%s); run the command again to send them",
			events.ErrUnavailable, word, id, sent, bounced, len(later), strings.Join(later, "; "))
	}
	fmt.Fprintf(m.Stdout, "%s to %s: %d sent, %d bounced, %d not sent\n", word, id, sent, bounced, len(later))
	for _, l := range later {
		fmt.Fprintf(m.Stdout, "  not sent, try again later: %s\n", l)
	}
	if len(later) > 0 {
		return fmt.Errorf("%w: %d messages were not sent; run the command again to send them", events.ErrUnavailable, len(later))
	}
	return nil
}

// noticeSendDoc is what notice send or remind did, as JSON.
type noticeSendDoc struct {
	Stakeholder string         `json:"stakeholder"`
	Reminder    bool           `json:"reminder"`
	Sent        []string       `json:"sent"`
	Bounced     []noticeBounce `json:"bounced"`
	NotSent     []string       `json:"not_sent"`
	Note        string         `json:"note,omitempty"`
}

type noticeBounce struct {
	Recipient string `json:"recipient"`
	Reason    string `json:"reason"`
}

// newToken returns an unguessable link token and its SHA-256 (hex), the
// only form of it the log keeps.
func newToken() (token, sum string, err error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, tokenSum(token), nil
}

// tokenSum is the SHA-256 (hex) of a link token.
func tokenSum(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// maxPasswordFile bounds what is read of a password file.
const maxPasswordFile = 4 << 10

// mailClient makes the mail client the flags and the plan say.
func mailClient(c *cli.Context, p *planner.Plan) (*mail.Client, error) {
	addr := cmp.Or(c.String("smtp"), p.Notices.SMTP)
	if addr == "" {
		return nil, usagef("give --smtp HOST:PORT or write notices.smtp in the plan")
	}
	host, portText, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil || port < 1 || port > 65535 || host == "" {
		return nil, usagef("--smtp %q: write host:port, e.g. smtp.workit.fr:587", addr)
	}
	var opts []mail.Option
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if ca := c.String("smtp-ca"); ca != "" {
		pool, err := readCAFile(ca)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	switch c.String("tls") {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTLSConfig(tc))
	case "tls":
		opts = append(opts, mail.WithSSL(), mail.WithTLSConfig(tc))
	case "none":
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, usagef("--tls none sends the notices and the password in clear: only to a relay on this machine (localhost); use starttls or tls")
		}
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, usagef("--tls %q: write starttls, tls or none", c.String("tls"))
	}
	// After the TLS options: implicit TLS would pick port 465 otherwise.
	opts = append(opts, mail.WithPort(port), mail.WithTimeout(c.Duration("timeout")))
	if user := c.String("smtp-user"); user != "" {
		path := c.String("smtp-password-file")
		if path == "" {
			return nil, usagef("--smtp-user needs --smtp-password-file FILE (or DCMOVE_SMTP_PASSWORD_FILE)")
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, usagef("--smtp-password-file: %v", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
		f.Close()
		if err != nil || len(b) > maxPasswordFile {
			return nil, usagef("--smtp-password-file %s: write the password alone on one line", path)
		}
		password := strings.TrimRight(string(b), "\r\n")
		redact.Secret(password)
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(password))
	}
	client, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, usagef("mail server %s: %v", addr, err)
	}
	return client, nil
}

// readCAFile reads a PEM file of CA certificates.
func readCAFile(path string) (*x509.CertPool, error) {
	b, err := planner.ReadFile("CA certificate", path)
	if err != nil {
		return nil, usagef("--smtp-ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, usagef("--smtp-ca %s holds no PEM certificate", path)
	}
	return pool, nil
}

// noticeLine is one stakeholder in notice status.
type noticeLine struct {
	Stakeholder  string    `json:"stakeholder"`
	Title        string    `json:"title,omitempty"`
	Ack          bool      `json:"ack"`
	Sent         int       `json:"sent"`
	Bounced      int       `json:"bounced"`
	Acknowledged int       `json:"acknowledged"`
	Waived       string    `json:"waived,omitempty"`
	Deadline     time.Time `json:"deadline,omitzero"`
	Pending      []string  `json:"pending"`
}

// noticeLines is where each stakeholder's notice stands (or one's).
func noticeLines(r *runbooks.Run, only string) []noticeLine {
	var out []noticeLine
	for _, s := range r.Notices.Stakeholders {
		if only != "" && s.ID != only {
			continue
		}
		l := noticeLine{Stakeholder: s.ID, Title: s.Title, Ack: s.Ack, Deadline: r.Deadline(s.ID), Pending: []string{}}
		for _, rc := range r.Notices.Of(s.ID) {
			if rc.Sends > 0 {
				l.Sent++
			}
			if rc.Bounced != "" {
				l.Bounced++
			}
			if !rc.Acknowledged.IsZero() {
				l.Acknowledged++
			}
		}
		if w, ok := r.Notices.Waived[s.ID]; ok {
			l.Waived = w.Reason + " (" + w.By + ")"
		}
		if s.Ack {
			l.Pending = append(l.Pending, r.Notices.Pending(s.ID)...)
		}
		out = append(out, l)
	}
	return out
}

func (m *Main) noticeStatus(c *cli.Context) error {
	if err := checkOutput(c, "text", "json"); err != nil {
		return err
	}
	only := c.Args().First()
	if c.NArg() > 1 {
		return usagef("give at most one stakeholder")
	}
	lr, err := m.loadRun(c, true, false)
	if err != nil {
		return err
	}
	defer lr.l.Close()
	r := lr.r
	if _, ok := r.Notices.Stakeholder(only); only != "" && !ok {
		return usagef("run %s has no stakeholder %s", r.ID, only)
	}
	lines := noticeLines(r, only)
	if jsonOutput(c) {
		if lines == nil {
			lines = []noticeLine{}
		}
		return writeDoc(m.Stdout, "notice-status", struct {
			Run          string       `json:"run"`
			Stakeholders []noticeLine `json:"stakeholders"`
		}{r.ID, lines})
	}
	if len(lines) == 0 {
		fmt.Fprintf(m.Stdout, "run %s records no stakeholders\n", r.ID)
		return nil
	}
	now, loc := m.Clock.Now(), r.Location()
	for _, l := range lines {
		state := "acknowledgement not collected"
		switch {
		case l.Waived != "":
			state = "waived by the lead: " + l.Waived
		case l.Ack && len(l.Pending) == 0:
			state = "every recipient acknowledged"
		case l.Ack:
			left := l.Deadline.Sub(now)
			due := "due " + l.Deadline.In(loc).Format("Mon 2 Jan 15:04")
			if left < 0 {
				due = "OVERDUE since " + l.Deadline.In(loc).Format("Mon 2 Jan 15:04")
			} else {
				due += " (" + planner.Span(left) + " left)"
			}
			state = fmt.Sprintf("%d not acknowledged, %s", len(l.Pending), due)
		}
		fmt.Fprintf(m.Stdout, "%s: %d sent, %d bounced, %d acknowledged; %s\n", l.Stakeholder, l.Sent, l.Bounced, l.Acknowledged, state)
		if l.Waived != "" {
			continue
		}
		show := l.Pending
		if !c.Bool("all") && len(show) > 20 {
			show = show[:20]
		}
		for _, p := range show {
			fmt.Fprintf(m.Stdout, "  %s\n", p)
		}
		if len(show) < len(l.Pending) {
			fmt.Fprintf(m.Stdout, "  and %d more (--all lists them)\n", len(l.Pending)-len(show))
		}
	}
	return nil
}
