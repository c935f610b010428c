package events

import "strconv"

// HeadStatement is what the lead signs when the post-migration report is
// made: the bytes "dcmove head RUN SEQ SHA256", ASCII, single spaces, no
// newline, where RUN is the run's name, SEQ the decimal sequence of the
// run's last event and SHA256 its hash (64 lowercase hex digits, as
// `dcmove audit verify` prints it). The signature is ed25519 by the
// signer's NKey over these bytes, base64url without padding, as for events.
func HeadStatement(run string, seq uint64, hash string) string {
	return "dcmove head " + run + " " + strconv.FormatUint(seq, 10) + " " + hash
}
