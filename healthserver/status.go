package healthserver

import (
	"fmt"
)

import (
	"github.com/dubbo-health/health/triple_health"
)

// Status is a serving status of the grpc.health.v1 protocol.
type Status = triple_health.HealthCheckResponse_ServingStatus

// The serving statuses. Only Unknown, Serving and NotServing can be set;
// ServiceUnknown is what Watch reports for a service the server does not know.
const (
	Unknown        = triple_health.HealthCheckResponse_UNKNOWN
	Serving        = triple_health.HealthCheckResponse_SERVING
	NotServing     = triple_health.HealthCheckResponse_NOT_SERVING
	ServiceUnknown = triple_health.HealthCheckResponse_SERVICE_UNKNOWN
)

// responses holds one immutable response per status, so Check and Watch
// never allocate one. They are shared by every caller and must not be
// modified.
var responses = [...]*triple_health.HealthCheckResponse{
	Unknown:        {Status: Unknown},
	Serving:        {Status: Serving},
	NotServing:     {Status: NotServing},
	ServiceUnknown: {Status: ServiceUnknown},
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
	case ServiceUnknown:
		return fmt.Errorf("healthserver: SERVICE_UNKNOWN cannot be set, it is only reported by Watch")
	default:
		return fmt.Errorf("healthserver: unknown serving status %d", int32(st))
	}
}
