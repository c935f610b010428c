// Package examples ships sample plan files with dcmove, so that a first-time
// user can run the demo and start a plan of their own from a working one.
package examples

import "embed"

// FS holds the sample plan files, by file name, and the firewall exports
// of the reference move (Exports).
//
//go:embed *.yaml *.txt
var FS embed.FS

// Exports names, in [FS], the firewall exports of the reference move's
// equipment: the source's (PA2, iptables-save) and the destination's after
// the move (PA3, nft), which lacks one rule the plan keeps.
var Exports = map[string]string{"source": "pa2-iptables-save.txt", "destination": "pa3-nft.txt"}

// Demo is the name in [FS] of the plan the demo runs: a weekend cutover
// between two datacenters fifty metres apart.
const Demo = "pa2-pa3.yaml"
