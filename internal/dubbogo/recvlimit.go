package dubbogo

import (
	"strconv"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/global"
	"dubbo.apache.org/dubbo-go/v3/server"
)

// Relies on (dubbo-go v3.3.2, server/action.go and protocol/triple/server.go):
// a service is exported on the protocol configurations of its own
// ServiceOptions.Protocols (action.go:152), whose TripleConfig becomes the
// export URL's attribute constant.TripleConfigKey (action.go:200) and whose
// MaxServerRecvMsgSize its URL parameter (action.go:208); the Triple server
// takes a method's receive limit from that parameter, overridden by the
// TripleConfig's MaxServerRecvMsgSize when the program set one
// (protocol/triple/server.go:393-419: a user's triple.max-server-recv-msg-size
// would lift the health service's limit to the user's). Only the transport
// (HTTP/3, TLS) of a listener must agree between its services
// (server.go:305-327); the receive limit is the method's own.

// receiveLimit gives the health service copies of the server's Triple
// protocol configurations whose TripleConfig sets the receive limit to
// MaxRequestBytes, so that no configuration of the program lifts it (an
// empty TripleConfig, where the program had none, reads as none for
// everything else). The server's own configurations, which its business
// services use, are left alone.
func receiveLimit() server.ServiceOption {
	return func(o *server.ServiceOptions) {
		limit := strconv.Itoa(MaxRequestBytes)
		own := make(map[string]*global.ProtocolConfig, len(o.Protocols))
		for id, p := range o.Protocols {
			if p != nil && p.Name == constant.TriProtocol {
				p = p.Clone()
				if p.TripleConfig == nil {
					p.TripleConfig = &global.TripleConfig{}
				}
				p.TripleConfig.MaxServerRecvMsgSize = limit
			}
			own[id] = p
		}
		o.Protocols = own
	}
}
