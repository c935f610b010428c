// Package examples ships sample plan files with dcmove, so that a first-time
// user can run the demo and start a plan of their own from a working one.
package examples

import "embed"

// FS holds the sample plan files, by file name.
//
//go:embed *.yaml
var FS embed.FS

// Demo is the name in [FS] of the plan the demo runs: a weekend cutover
// between two datacenters fifty metres apart.
const Demo = "pa2-pa3.yaml"
