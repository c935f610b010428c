package projections

import (
	"html/template"
	"io"
)

// WriteReportHTML writes the post-migration report of a run as one
// self-contained HTML page (inline CSS, no script, nothing fetched), laid
// out to print on A4: the same sections as [WriteReportMarkdown], with bars
// for planned against actual.
func WriteReportHTML(w io.Writer, rp *Report) error {
	return writeReportHTML(w, rp.view())
}

// writeReportHTML writes the report's view as an HTML page.
func writeReportHTML(w io.Writer, v *reportView) error {
	return reportHTML.Execute(w, v)
}

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"outcome": outcomeCell,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Post-migration report: {{.Title}} ({{.Run}})</title>
<style>
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --soft: #f5f7fa; --plan: #9fb3c8; --ok: #2f855a; --late: #c53030; --gate: #2b6cb0; --warn: #b7791f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 28px 32px 40px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 12px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.sub { color: var(--muted); margin: 0; }
.kind { display: inline-block; padding: 1px 8px; border-radius: 10px; background: var(--gate); color: #fff; font-size: 12px; font-weight: 600; vertical-align: middle; }
.kind.rehearsal { background: var(--warn); }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 1px 4px; border-radius: 3px; white-space: nowrap; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 8px; margin: 0; }
.facts div { border: 1px solid var(--line); border-left: 4px solid var(--plan); border-radius: 4px; padding: 6px 10px; background: var(--soft); }
.facts div.alert { border-left-color: var(--late); }
.facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.facts dd { margin: 2px 0 0; font-weight: 600; font-size: 15px; }
.facts dd small { display: block; font-weight: 400; font-size: 12px; color: var(--muted); }
.facts div.alert dd { color: var(--late); }
table { width: 100%; border-collapse: collapse; margin: 4px 0 6px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--soft); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.time { white-space: nowrap; color: var(--muted); }
@media screen and (min-width: 1000px) { td.who { white-space: nowrap; } }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
.late { color: var(--late); font-weight: 600; }
.early { color: var(--ok); font-weight: 600; }
.bars { width: 24%; }
.bar { height: 8px; border-radius: 2px; margin: 2px 0; min-width: 1px; }
.bar.plan { background: var(--plan); }
.bar.act { background: var(--ok); }
.bar.act.over { background: var(--late); }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; padding: 3px 0 7px 14px; }
ol.timeline li::before { content: ""; position: absolute; left: -22px; top: 8px; width: 12px; height: 12px; border-radius: 50%; background: var(--plan); border: 2px solid #fff; }
ol.timeline li.gate::before { background: var(--gate); }
ol.timeline li.no-go::before, ol.timeline li.backout::before { background: var(--late); }
ol.timeline li.degraded::before { background: var(--warn); }
ol.timeline li.end::before, ol.timeline li.finished::before { background: var(--ok); }
ol.timeline li.start::before { background: var(--ink); }
ol.timeline .time { display: inline-block; min-width: 120px; color: var(--muted); font-variant-numeric: tabular-nums; }
.go { color: var(--ok); font-weight: 600; }
.no-go { color: var(--late); font-weight: 700; }
.open { color: var(--warn); font-weight: 600; }
.dev-failed td:nth-child(2), .dev-no-go td:nth-child(2), .dev-back-out td:nth-child(2) { color: var(--late); font-weight: 700; }
.dev-blocked td:nth-child(2), .dev-cool-down-cut-short td:nth-child(2), .dev-not-understood td:nth-child(2) { color: var(--warn); font-weight: 600; }
.note { color: var(--muted); font-size: 13px; }
td.why { overflow-wrap: anywhere; }
footer { margin-top: 30px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10.5pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  section { break-inside: avoid-page; }
  table { break-inside: auto; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; }
}
</style>
</head>
<body>
<main>
<header>
<h1>Post-migration report: {{.Title}}</h1>
<p class="sub">Run <strong>{{.Run}}</strong> <span class="kind{{if eq .Kind "rehearsal"}} rehearsal{{end}}">{{.Kind}}</span> of plan <code>{{.Plan}}</code>{{with .File}} from <code>{{.}}</code>{{end}}{{with .Lead}}, led by {{.}}{{end}}. Times are in {{.Zone}}.</p>
</header>

<section id="summary">
<dl class="facts">
{{- range .Facts}}
<div{{if .Alert}} class="alert"{{end}}><dt>{{.Label}}</dt><dd>{{.Value}}{{with .Detail}}<small>{{.}}</small>{{end}}</dd></div>
{{- end}}
</dl>
</section>

<section id="timeline">
<h2>Timeline</h2>
<ol class="timeline">
{{- range .Timeline}}
<li class="{{.Kind}}"><span class="time">{{.At}}</span> {{.What}}</li>
{{- end}}
</ol>
</section>

<section id="phases">
<h2>Planned vs actual per phase</h2>
<p class="note">Sums of the likely durations of the steps done, and of the time they took (start to end; parallel steps add up). Grey: planned; green or red: actual.</p>
<table>
<thead><tr><th>Phase</th><th class="num">Steps</th><th class="num">Done</th><th class="num">Planned</th><th class="num">Actual</th><th class="num">Actual/planned</th><th class="bars"></th></tr></thead>
<tbody>
{{- range .Phases}}
<tr><td>{{.Phase}}</td><td class="num">{{.Steps}}</td><td class="num">{{.Done}}</td><td class="num">{{.Planned}}</td><td class="num">{{.Actual}}</td><td class="num{{if .Over}} late{{else}} early{{end}}">{{.Ratio}}</td>
<td class="bars"><div class="bar plan" style="width: {{.PlannedPct}}%"></div><div class="bar act{{if .Over}} over{{end}}" style="width: {{.ActualPct}}%"></div></td></tr>
{{- end}}
{{- with .Total}}
<tr class="total"><td>total</td><td class="num">{{.Steps}}</td><td class="num">{{.Done}}</td><td class="num">{{.Planned}}</td><td class="num">{{.Actual}}</td><td class="num{{if .Over}} late{{else}} early{{end}}">{{.Ratio}}</td><td></td></tr>
{{- end}}
</tbody>
</table>
</section>

<section id="late">
<h2>Late steps</h2>
{{- if .Late}}
<p class="note">{{.LateCount}} step(s) took longer than their likely duration, {{.LateOver}} over in all; the latest first.</p>
<table>
<thead><tr><th>Step</th><th>Phase</th><th class="num">Planned</th><th class="num">Actual</th><th class="num">Over</th><th>Done by</th><th class="bars"></th></tr></thead>
<tbody>
{{- range .Late}}
<tr><td><code>{{.ID}}</code> {{.Title}}</td><td>{{.Phase}}</td><td class="num">{{.Planned}}</td><td class="num">{{.Actual}}</td><td class="num late">{{.Over}}</td><td class="who">{{.By}}</td><td class="bars"><div class="bar act over" style="width: {{.Pct}}%"></div></td></tr>
{{- end}}
</tbody>
</table>
{{- if .LateMore}}
<p class="note">and {{.LateMore}} more (every step: <code>dcmove audit --run {{.Run}} --type step.completed</code>).</p>
{{- end}}
{{- else}}
<p>No step took longer than planned.</p>
{{- end}}
</section>

<section id="gates">
<h2>Gates and signers</h2>
{{- if .Gates}}
<table>
<thead><tr><th>Gate</th><th>Outcome</th><th>Time</th><th>Role</th><th>Signed by</th><th>Decision</th><th>Reason</th></tr></thead>
<tbody>
{{- range .Gates}}{{$g := .}}
{{- range $i, $s := .Signatures}}
<tr>{{if eq $i 0}}<td rowspan="{{len $g.Signatures}}"><code>{{$g.ID}}</code> {{$g.Title}}</td><td rowspan="{{len $g.Signatures}}" class="{{$g.Outcome}}">{{$g.Outcome}}{{if ne $g.Outcome "open"}}<br><span class="note">{{$g.At}}</span>{{end}}</td>{{end}}<td class="time">{{$s.At}}</td><td class="who">{{$s.Role}}</td><td class="who">{{$s.By}}</td><td class="{{$s.Decision}}">{{$s.Decision}}</td><td>{{$s.Reason}}</td></tr>
{{- end}}
{{- end}}
</tbody>
</table>
{{- else}}
<p>No gate was signed.</p>
{{- end}}
</section>

<section id="deviations">
<h2>Deviations</h2>
{{- if .Deviations}}
<table>
<thead><tr><th>Time</th><th>Kind</th><th>About</th><th>By</th><th>Reason</th><th>Note</th></tr></thead>
<tbody>
{{- range .Deviations}}
<tr class="{{.Class}}"><td class="time">{{.At}}</td><td>{{.Kind}}</td><td>{{.About}}</td><td class="who">{{.By}}</td><td class="why">{{.Reason}}</td><td class="note">{{.Note}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p>None: no warning accepted, no step failed, skipped or blocked, no cool-down cut short.</p>
{{- end}}
</section>

<section id="degraded">
<h2>Degraded mode</h2>
{{- if .Spells}}
<p><strong>{{.DegradedTotal}}</strong> in all.</p>
<table>
<thead><tr><th>On</th><th>Off</th><th class="num">Lasted</th><th>Down on purpose</th><th>On by, why</th><th>Off by, why</th></tr></thead>
<tbody>
{{- range .Spells}}
<tr><td class="time">{{.From}}</td><td class="time">{{.To}}</td><td class="num">{{.Lasted}}</td><td>{{.Down}}</td><td>{{.By}}{{with .Reason}} ({{.}}){{end}}</td><td>{{.EndedBy}}{{with .EndReason}} ({{.}}){{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p>The service never ran in degraded mode.</p>
{{- end}}
</section>

<section id="rehearsal">
<h2>What the rehearsal predicted</h2>
{{- with .Rehearsal}}
<p class="note">Rehearsal run <strong>{{.Run}}</strong> against this run, <strong>{{.This}}</strong>{{if .Live}} (that run was not recorded as a rehearsal){{end}}{{if not .SamePlanFile}} (the plan file changed between them){{end}}: sums over the steps done in both. Grey: rehearsal; green or red: this run.</p>
<table>
<thead><tr><th>Phase</th><th class="num">Steps</th><th class="num">Rehearsal</th><th class="num">This run</th><th class="num">Delta</th><th class="num">This/rehearsal</th><th class="bars"></th></tr></thead>
<tbody>
{{- range .Phases}}
<tr><td>{{.Phase}}</td><td class="num">{{.Steps}}</td><td class="num">{{.A}}</td><td class="num">{{.B}}</td><td class="num{{if .Over}} late{{else}} early{{end}}">{{.Delta}}</td><td class="num">{{.Ratio}}</td>
<td class="bars"><div class="bar plan" style="width: {{.APct}}%"></div><div class="bar act{{if .Over}} over{{end}}" style="width: {{.BPct}}%"></div></td></tr>
{{- end}}
{{- with .Total}}
<tr class="total"><td>total</td><td class="num">{{.Steps}}</td><td class="num">{{.A}}</td><td class="num">{{.B}}</td><td class="num{{if .Over}} late{{else}} early{{end}}">{{.Delta}}</td><td class="num">{{.Ratio}}</td><td></td></tr>
{{- end}}
</tbody>
</table>
{{- if .Steps}}
<p class="note">The {{len .Steps}} step(s) that differed most:</p>
<table>
<thead><tr><th>Step</th><th>Phase</th><th class="num">Rehearsal</th><th class="num">This run</th><th class="num">Delta</th></tr></thead>
<tbody>
{{- range .Steps}}
<tr><td><code>{{.ID}}</code> {{.Title}}</td><td>{{.Phase}}</td><td class="num">{{outcome .A .AOutcome}}</td><td class="num">{{outcome .B .BOutcome}}</td><td class="num{{if .Over}} late{{else}} early{{end}}">{{.Delta}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .More}}
<p class="note">and {{.More}} more (all: <code>dcmove audit compare {{.Run}} {{.This}}</code>).</p>
{{- end}}
{{- else}}
<p>Every step took as long as in the rehearsal.</p>
{{- end}}
{{- else}}
<p class="note">No rehearsal was compared (<code>--rehearsal RUN</code> adds it).</p>
{{- end}}
</section>

<footer>Built by dcmove from the {{.Records}} events of run {{.Run}}; the full trail: <code>dcmove audit --run {{.Run}}</code>.
{{- if .Head}}
<p>head: seq {{.HeadSeq}} sha256 <code>{{.Head}}</code>; keep it, and check later that the log still reaches it: <code>dcmove audit verify --run {{.Run}} --head {{.HeadSeq}}:{{.Head}}</code>.</p>
{{- with .HeadSig}}
{{- if .By}}
<p>head signed by {{.By}}, the lead (key <code style="white-space: normal; word-break: break-all">{{.ShortKey}}</code>), when this report was made: statement <code style="white-space: normal; word-break: break-all">{{.Statement}}</code>, ed25519 signature (base64url) <code style="white-space: normal; word-break: break-all">{{.Signature}}</code>; check it: <code style="white-space: normal; word-break: break-all">dcmove audit verify --run {{$.Run}} --head {{$.HeadSeq}}:{{$.Head}} --head-signature {{.Signature}}</code>.</p>
{{- else}}
<p>head signed with key <code style="white-space: normal; word-break: break-all">{{.Key}}</code> when this report was made, a key the plan did not record (it lists no crew keys): the signature says nothing of who signed. Statement <code style="white-space: normal; word-break: break-all">{{.Statement}}</code>, ed25519 signature (base64url) <code style="white-space: normal; word-break: break-all">{{.Signature}}</code>.</p>
{{- end}}
{{- end}}
{{- end}}</footer>
</main>
</body>
</html>
`))
