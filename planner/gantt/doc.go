// Package gantt draws a move's schedule for people: the migration lead who
// checks that the weekend fits, the crew who read their part of it, and the
// managers who want one page to print.
//
// A [Chart] is the schedule to draw: its window, its point of no return and
// one [Bar] per step, in display order, with who does it, its slack and
// whether it is on the critical path, a go/no-go gate or a back-out step.
// The package does not schedule anything: callers fill a Chart from the
// planner's schedule.
//
// Four renderings read the same Chart:
//
//   - [Text] for a terminal: one line per step, a bar of '█' scaled to the
//     width asked for, slack as '░', and the window end and point of no
//     return as '|' columns.
//   - [Mermaid] for Markdown pages that render Mermaid gantt diagrams.
//   - [SVG], one self-contained image with a time axis in the chart's time
//     zone, phases as coloured bands, the critical path in red, gates as
//     diamonds, back-out steps hatched and a tooltip per step.
//   - [HTML], a page to open or print: the SVG chart with the window,
//     makespan and point of no return above it and a table of the steps
//     below, with no external resources.
//
// Every rendering reports a chart with no bars as [ErrNoBars], and a bar
// that ends before it starts as [ErrInvalid].
package gantt
