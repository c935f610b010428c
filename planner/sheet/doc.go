// Package sheet moves a runbook between a spreadsheet and a plan.
//
// Most teams plan a move in a spreadsheet before they write a plan file.
// [ImportCSV] reads such a sheet, exported as CSV, into the planner's
// [planner.Step]s: one step per row under a header row that names the
// columns (id, title, phase, duration, predecessors, role, gate and asset,
// with the aliases people use, in any order). Every problem in the sheet is
// reported at once, each at its row and column, so the lead fixes the sheet
// in one go. [WriteSteps] writes the steps as the steps: section of a plan
// file.
//
// The other way, [WriteCSV] writes a schedule as [Row]s, one per step with
// its times, slack and who does it, for people who read schedules in a
// spreadsheet; the sheet it writes can be edited and imported again.
package sheet
