package jetstream

import (
	"encoding/json"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// mayPublish reports whether the server lets the connection's user publish
// to subject, as the server itself tells ($SYS.REQ.USER.INFO). When it does
// not tell (an old server, a user not allowed to ask), the answer is yes:
// the server still refuses what the user may not do.
func mayPublish(nc *nats.Conn, subject string) bool {
	m, err := nc.Request("$SYS.REQ.USER.INFO", nil, time.Second)
	if err != nil {
		return true
	}
	var resp struct {
		Data *struct {
			Permissions *server.Permissions `json:"permissions"`
		} `json:"data"`
	}
	if json.Unmarshal(m.Data, &resp) != nil || resp.Data == nil || resp.Data.Permissions == nil || resp.Data.Permissions.Publish == nil {
		return true
	}
	p := resp.Data.Permissions.Publish
	for _, f := range p.Deny {
		if server.SubjectMatchesFilter(subject, f) {
			return false
		}
	}
	if len(p.Allow) == 0 {
		return true
	}
	for _, f := range p.Allow {
		if server.SubjectMatchesFilter(subject, f) {
			return true
		}
	}
	return false
}

// checkpointSubject is a subject a checkpoint write publishes to.
const checkpointSubject = "$KV." + CheckpointBucket + ".status.run"
