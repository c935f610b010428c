package sheet_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/dcmove/dcmove/planner/sheet"
)

func ExampleImportCSV() {
	const runbook = `ID;Task;Estimate;Depends on;Owner;Gate
shutdown;Shut down web-1;0:45;;tech;
carry;Carry web-1 to PA3;20-30-60 min;shutdown;tech;
go-live;Go/no-go: back to normal service?;15m;carry;lead;x
`
	steps, err := sheet.ImportCSV("runbook.csv", strings.NewReader(runbook))
	if err != nil {
		fmt.Println(err)
		return
	}
	sheet.WriteSteps(os.Stdout, steps)
	// Output:
	// steps:
	//   - id: shutdown
	//     title: Shut down web-1
	//     duration: 45m
	//     role: tech
	//
	//   - id: carry
	//     title: Carry web-1 to PA3
	//     duration: 20m/30m/1h
	//     after: shutdown
	//     role: tech
	//
	//   - id: go-live
	//     title: "Go/no-go: back to normal service?"
	//     duration: 15m
	//     after: carry
	//     role: lead
	//     gate: true
}

func ExampleImportCSV_errors() {
	const runbook = `id,title,duration,after
unrack-web1,Unrack web-1,30 mins,
carry,Carry web-1 to PA3,1h,unrack-web
carry,Rack web-1 at PA3,1 hour,carry
`
	_, err := sheet.ImportCSV("runbook.csv", strings.NewReader(runbook))
	fmt.Println(err)
	// Output:
	// runbook.csv:3:4: step "carry" comes after unknown step "unrack-web" (cell D3); did you mean "unrack-web1"?
	// runbook.csv:4:1: duplicate step id "carry" (cell A4; first used on row 3); ids must be unique
}
