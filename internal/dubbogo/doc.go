// Package dubbogo is the one place that knows dubbo-go's internals: every
// point where the health module plugs into dubbo-go v3 is a file here, and
// each file says what dubbo-go behaviour it relies on, the dubbo-go version
// it was checked against, and the test that fails if that behaviour changes.
//
//	file               touch point                                   proving test (internal/e2e unless named)
//	internalservice.go server.SetProviderServices: the health         TestProbe, TestStartStyles
//	                   service is exported on every Triple protocol
//	                   of every server, after the business services
//	protocol.go        the "tri" protocol extension is wrapped: every TestExportAfterStart, TestProbe (imports)
//	                   export, unexport and Destroy passes through it
//	servicemap.go      common.ServiceMap entries of the health        TestSIGTERMDuringWatch
//	                   service are removed and restored
//	filter.go          the health service's filter chain replaces     TestProbeUnderBusinessSaturation
//	                   dubbo-go's default provider chain
//	shutdown.go        graceful-shutdown callbacks: NOT_SERVING       TestSIGTERMDuringWatch
//	                   before listeners close; checkers stop last
//	signal.go          a second listener of the shutdown signals      TestSIGTERMDuringWatch
//	httphost.go        base.HTTPHandlerHost: /healthz and /readyz on  TestHTTPView
//	                   each Triple port, beside the program's handler
//
// Checked against dubbo-go v3.3.2. The root package calls Install once, from
// its init, with what the hooks need to reach the store and the switches.
package dubbogo
