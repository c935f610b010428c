package main

import (
	"cmp"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/dcmove/dcmove/runbooks"
)

// ackHandler serves the acknowledgement links of the notices (/ack/TOKEN):
// GET shows what the recipient acknowledges and a button; POST records
// the acknowledgement (dcmove's own event, via "link"). A link is only
// followed by a person's click: mail scanners that fetch links (GET) do not
// acknowledge in the recipient's place.
type ackHandler struct {
	cut *runbooks.Cutover
	run string
	// busy bounds the links answered at once: each reads the run.
	busy chan struct{}
	// log is told why an acknowledgement could not be recorded.
	log func(format string, args ...any)
}

// newAckHandler answers the links of run, four at a time.
func newAckHandler(cut *runbooks.Cutover, run string, log func(string, ...any)) *ackHandler {
	return &ackHandler{cut: cut, run: run, busy: make(chan struct{}, 4), log: log}
}

// tokenPattern is what a link token looks like (newToken: 24 random bytes,
// base64url).
var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`)

func (h *ackHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.URL.Path, "/ack/")
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use the link in the notice", http.StatusMethodNotAllowed)
		return
	}
	page := ackPageData{Token: token}
	if !tokenPattern.MatchString(token) {
		page.Problem = "This link is not a complete acknowledgement link: copy the whole address from the notice."
		h.write(w, http.StatusNotFound, page)
		return
	}
	select {
	case h.busy <- struct{}{}:
		defer func() { <-h.busy }()
	case <-r.Context().Done():
		return
	case <-time.After(10 * time.Second):
		page.Problem = "Too many people are acknowledging at once; please try again in a minute."
		h.write(w, http.StatusServiceUnavailable, page)
		return
	}
	run, err := h.cut.Load(r.Context(), h.run)
	if err != nil {
		page.Problem = "The move's record cannot be read just now; please try again in a few minutes."
		h.write(w, http.StatusServiceUnavailable, page)
		return
	}
	stakeholder, rc, ok := run.Notices.ByToken(tokenSum(token))
	if !ok {
		page.Problem = "This link is not one of ours, or not for this move."
		h.write(w, http.StatusNotFound, page)
		return
	}
	page.Title = cmp.Or(run.Title, run.Plan)
	page.Who = cmp.Or(rc.Name, rc.Address)
	loc := run.Location()
	page.Window = run.WindowStart.In(loc).Format("Mon 2 Jan 15:04") + " to " + run.WindowEnd.In(loc).Format("Mon 2 Jan 15:04") + " (" + run.TimeZone + ")"
	if !rc.Acknowledged.IsZero() {
		page.Done = "You acknowledged this notice on " + rc.Acknowledged.In(loc).Format("Mon 2 Jan 15:04") + ". Thank you."
		h.write(w, http.StatusOK, page)
		return
	}
	if r.Method != http.MethodPost {
		h.write(w, http.StatusOK, page)
		return
	}
	if _, err := h.cut.AcknowledgeNotice(r.Context(), h.run, "dcmove", stakeholder, rc.Address, "link", ""); err != nil {
		// Acknowledged meanwhile (a double click): say so.
		if again, lerr := h.cut.Load(r.Context(), h.run); lerr == nil {
			if _, rc2, ok := again.Notices.ByToken(tokenSum(token)); ok && !rc2.Acknowledged.IsZero() {
				page.Done = "You acknowledged this notice on " + rc2.Acknowledged.In(loc).Format("Mon 2 Jan 15:04") + ". Thank you."
				h.write(w, http.StatusOK, page)
				return
			}
		}
		if h.log != nil {
			h.log("acknowledgement of %s (%s) not recorded: %v", rc.Address, stakeholder, err)
		}
		page.Problem = "Your acknowledgement could not be recorded just now; please try again in a few minutes, or call the contact named in the notice."
		status := http.StatusServiceUnavailable
		if errors.Is(err, runbooks.ErrRefused) {
			status = http.StatusConflict
		}
		h.write(w, status, page)
		return
	}
	page.Done = "Thank you: your acknowledgement is recorded (" + time.Now().In(loc).Format("Mon 2 Jan 15:04") + ")."
	h.write(w, http.StatusOK, page)
}

type ackPageData struct {
	Token, Title, Who, Window, Done, Problem string
}

func (h *ackHandler) write(w http.ResponseWriter, status int, page ackPageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	ackPage.Execute(w, page)
}

var ackPage = template.Must(template.New("ack").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acknowledge the maintenance notice</title>
<link rel="stylesheet" href="/style.css">
</head>
<body class="public">
<header><h1>{{if .Title}}Planned maintenance: {{.Title}}{{else}}Planned maintenance{{end}}</h1></header>
<main>
{{if .Problem}}<p class="banner" role="alert">{{.Problem}}</p>
{{else if .Done}}<p class="big" role="status">{{.Done}}</p>
{{else}}<p class="big">{{.Who}}, please confirm that you have read the notice of the maintenance from {{.Window}}.</p>
<form method="post" action="/ack/{{.Token}}"><p><button type="submit">I have read the notice</button></p></form>
{{end}}
<p class="quiet">Live status of the maintenance: <a href="/public">/public</a></p>
</main>
</body>
</html>
`))
