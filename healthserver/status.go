package healthserver

import (
	"fmt"
)

import (
	"github.com/dubbo-health/health/triple_health"
)

// Status is a serving status of the grpc.health.v1 protocol: the generated
// enum itself, so a Status goes on the wire without conversion.
type Status = triple_health.HealthCheckResponse_ServingStatus

// The serving statuses a program sets. A service the server does not know
// is reported as SERVICE_UNKNOWN by Watch and as NotFound by Check; it
// cannot be set.
const (
	Unknown    = triple_health.HealthCheckResponse_UNKNOWN
	Serving    = triple_health.HealthCheckResponse_SERVING
	NotServing = triple_health.HealthCheckResponse_NOT_SERVING
)

// serviceUnknown is what a name the server does not know shows.
const serviceUnknown = triple_health.HealthCheckResponse_SERVICE_UNKNOWN

// responses holds one immutable response per status, so Check and Watch
// never allocate one. They are shared by every caller and must not be
// modified.
var responses = [...]*triple_health.HealthCheckResponse{
	Unknown:        {Status: Unknown},
	Serving:        {Status: Serving},
	NotServing:     {Status: NotServing},
	serviceUnknown: {Status: serviceUnknown},
}

// response returns the shared, immutable response for st.
func response(st Status) *triple_health.HealthCheckResponse {
	return responses[st]
}

// checkSettable reports whether st may be passed to SetServingStatus.
func checkSettable(st Status) error {
	switch st {
	case Unknown, Serving, NotServing:
		return nil
	}
	return fmt.Errorf("%w: %v", ErrStatusNotSettable, st)
}
