package main

import "regexp"

// headHash is a run's head hash as status and the report print it: whole,
// or its first 12 hex digits after "sha256 ". Event ids are random, so the
// golden files hold HASH instead.
var (
	headLineRE = regexp.MustCompile(`(?m)^.*head.*$`)
	headHash   = regexp.MustCompile(`\b[0-9a-f]{64}\b|\bsha256 [0-9a-f]{12}\b`)
)

// scrubHead replaces the head hashes on the lines that show the head.
func scrubHead(s string) string {
	return headLineRE.ReplaceAllStringFunc(s, func(line string) string {
		return headHash.ReplaceAllStringFunc(line, func(m string) string {
			if len(m) < 64 {
				return "sha256 HASH"
			}
			return "HASH"
		})
	})
}
