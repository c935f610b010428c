package runbooks

// StopStaging makes c stop a staged start after n appends of its steps,
// as a start killed half-way would.
func StopStaging(c *Cutover, n int) { c.stopStaging = n }

// ErrStagingStopped is what such a start returns.
var ErrStagingStopped = errStagingStopped
