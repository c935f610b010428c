package jetstream

import (
	"github.com/nats-io/nats-server/v2/server"
	"time"
)

// The users of the embedded server. The admin creates and upgrades the
// streams and the checkpoint bucket and writes checkpoints; only the process
// that started the server holds its password, in memory. The crew user is
// what [ServerFileName] gives every other dcmove process on the data
// directory: it may do what dcmove's commands do, and nothing that erases or
// rewrites the log.
const (
	AdminUser = "dcmove-admin"
	CrewUser  = "dcmove-crew"
)

// CrewPublishAllow lists the subjects the crew user may publish to: the
// run subjects (appends, atomic batches included), the timers' schedules,
// and the JetStream API requests that read the log (stream info, message
// get, direct get) and run the ordered consumers reads use, on the event
// stream only.
func CrewPublishAllow() []string {
	return []string{
		SubjectPrefix + ".>",
		scheduledPrefix + ">",
		HealthSubject,
		AgentSubjectPrefix + ">",
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO.>",
		"$JS.API.STREAM.NAMES",
		"$JS.API.STREAM.LIST",
		"$JS.API.STREAM.MSG.GET.>",
		"$JS.API.DIRECT.GET.>",
		"$JS.API.CONSUMER.CREATE." + StreamName,
		"$JS.API.CONSUMER.CREATE." + StreamName + ".>",
		"$JS.API.CONSUMER.DELETE." + StreamName + ".*",
		"$JS.API.CONSUMER.INFO." + StreamName + ".*",
		"$JS.API.CONSUMER.MSG.NEXT." + StreamName + ".*",
		"$JS.API.CONSUMER.NAMES." + StreamName,
		"$JS.API.CONSUMER.LIST." + StreamName,
		"$SYS.REQ.USER.INFO",
	}
}

// AgentSubjectPrefix starts the subjects dcmove's check agents answer on:
// dcmove-agent.<vantage point>.run.
const AgentSubjectPrefix = "dcmove-agent."

// CrewPublishDeny lists what the crew user may never publish, whatever the
// allow list says: removing, emptying, reconfiguring or replacing a stream
// (the event log, the timers, the checkpoint bucket), deleting a message,
// purging the account, writing a checkpoint, and injecting a fired timer
// without its schedule.
func CrewPublishDeny() []string {
	return []string{
		"$JS.API.STREAM.CREATE.>",
		"$JS.API.STREAM.UPDATE.>",
		"$JS.API.STREAM.DELETE.>",
		"$JS.API.STREAM.PURGE.>",
		"$JS.API.STREAM.MSG.DELETE.>",
		"$JS.API.STREAM.RESTORE.>",
		"$JS.API.STREAM.PEER.REMOVE.>",
		"$JS.API.ACCOUNT.PURGE.>",
		"$KV." + CheckpointBucket + ".>",
		firedPrefix + ">",
	}
}

// crewPermissions are the crew user's permissions on the embedded server.
// Subscriptions are not limited: every member may read the whole log.
func crewPermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: CrewPublishAllow(), Deny: CrewPublishDeny()},
		// An agent answers the checks it is asked to run (and nats'
		// service discovery) on the asker's reply subject.
		Response: &server.ResponsePermission{MaxMsgs: 1, Expires: time.Minute},
	}
}
