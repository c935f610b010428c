// The files of this package are of three kinds; a file is one of them.
//
// Folds, state from records only (no formatting, no io.Writer): status.go
// (the run's one model as [Status]) and status_query.go (queries on it),
// report.go ([Report]: the status plus what it forgets), trail.go
// ([Trail]), audit.go (records, as-of, trail filters), compare.go (the
// [Comparison] of two reports), forecast.go (the [ETA] of a status),
// durations.go and calibrate.go (what a run took), and the plumbing that
// feeds folds: checkpoint.go, runner.go, watch.go.
//
// View models, pure data built from folds for people to read (formatted or
// JSON-tagged, no io.Writer), which every renderer and the live page share:
// view_board.go ([Board], the status at one moment), view_report.go (the
// report's view and its [Report.Timeline]), and format.go (the wording
// shared by views and renderers: durations, reasons, [Describe]).
//
// Renderers, which write a view model to an io.Writer: render_status.go
// (text and ANSI for a [Board], [View]), render_report_markdown.go and
// render_report_html.go (the report), render_trail.go (table, CSV, JSON
// lines), render_compare.go (table, CSV, JSON), progress.go (the replay's
// progress bar).

// Package projections turns a run's event log into what people read: the
// live [Status] of the cutover and the [Trail] of who did what when.
//
// A projection is a fold: Apply takes one [events.Record] and changes the
// state, and never fails. Records this binary cannot read (malformed, or of
// a type a newer dcmove wrote) are skipped and counted, so an older binary can
// still read a newer log. [Replay] feeds a fold from the log up to now;
// [Watch] keeps feeding it as events arrive.
package projections
