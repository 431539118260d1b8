package healthserver

import (
	"fmt"
)

import (
	"github.com/dubbogo/gost/log/logger"
)

// Change is a change of the status a service shows, as WithChangeHook
// reports it: a set, an export or removal, a checker turning, a shutdown or a
// Resume. Status is SERVICE_UNKNOWN when the service became unknown.
type Change struct {
	Service string
	Status  Status
}

// event is a change to log and report once Server.mu is released: a status
// shown (service, status), a checker failing (err) or passing again, or a
// note about the whole server.
type event struct {
	note    string
	service string
	status  Status
	checker string
	err     error
	first   bool // the service has just become known
}

// log returns the logger: gost's global logger, the one dubbo-go sets up,
// is looked up at each use, so that a logger configured after New is used.
func (s *Server) log() printer {
	if s.opts.logger != nil {
		return s.opts.logger
	}
	return logger.GetLogger()
}

// warnRefused logs refused Watch streams, at most once a minute.
func (s *Server) warnRefused(refused uint64, limit, host string) {
	s.log().Warnf("[Health] refused %d Watch stream(s) in the last minute; the last one from %s at the %s limit (WithMaxWatchers)", refused, host, limit)
}

// report logs events and hands the status changes to the change hook, in
// the order they were made. Callers do not hold Server.mu.
func (s *Server) report(events []event) {
	if len(events) == 0 {
		return
	}
	log := s.log()
	for _, e := range events {
		switch {
		case e.note != "":
			log.Infof("[Health] %s", e.note)
		case e.checker != "" && e.err != nil:
			log.Warnf("[Health] checker %q of service %q is failing: %v", e.checker, e.service, e.err)
		case e.checker != "":
			log.Infof("[Health] checker %q of service %q is passing again", e.checker, e.service)
		default:
			log.Infof("[Health] %s %s %s", describeService(e.service), verb(e.first), e.status)
			if s.opts.hook != nil {
				s.opts.hook(Change{Service: e.service, Status: e.status})
			}
		}
	}
}

// describeService names a service in logs; "" is the whole server.
func describeService(name string) string {
	if name == "" {
		return `the whole server ("")`
	}
	return fmt.Sprintf("service %q", name)
}

// verb says whether a status is a service's first or a change.
func verb(first bool) string {
	if first {
		return "is"
	}
	return "is now"
}
