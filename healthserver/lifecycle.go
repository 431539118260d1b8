package healthserver

// lifecycle is where a Server is between serving and closed. It is one
// value, changed under Server.mu and published with every entry's state, so
// Check and Watch read it without a lock:
//
//	serving ──Shutdown──▶ shuttingDown ──drain delay──▶ drained
//	   ▲                        │                          │
//	   └──────Resume────────────┴──────────Stop────────────┴──▶ stopped ──Close──▶ closed
//
// Stop also comes straight from serving; Resume leads back to serving from
// every state but closed.
type lifecycle uint8

const (
	// serving: services show the status they were set to.
	serving lifecycle = iota
	// shuttingDown: every service shows NOT_SERVING; open Watch streams
	// stay open for the drain delay so they receive it.
	shuttingDown
	// drained: the drain delay is over. Watch streams that were open end;
	// one opened from now on is held open for one more drain delay and
	// then ends, so that clients which reopen at once (grpc-go's health
	// checking does after any message) do not spin.
	drained
	// stopped: every Watch stream ends at once and new ones are refused
	// before any message; the listener is about to close.
	stopped
	// closed: stopped for good, checkers gone; Resume does nothing.
	closed
)

// down reports whether services show NOT_SERVING whatever their status.
func (l lifecycle) down() bool { return l != serving }

// endsWatches reports whether a Watch stream open while the server served
// ends once it has sent the status shown now.
func (l lifecycle) endsWatches() bool { return l >= drained }

// refusesWatches reports whether new Watch streams are refused.
func (l lifecycle) refusesWatches() bool { return l >= stopped }

func (l lifecycle) String() string {
	switch l {
	case serving:
		return "serving"
	case shuttingDown:
		return "shutting down"
	case drained:
		return "drained"
	case stopped:
		return "stopped"
	}
	return "closed"
}
