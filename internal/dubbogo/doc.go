// Package dubbogo is the one place that knows dubbo-go's internals: every
// point where the health module plugs into dubbo-go v3 is a file here, and
// each file says what dubbo-go behaviour it relies on, the dubbo-go version
// it was checked against, and the test that fails if that behaviour changes.
//
//	file               touch point                                   proving test (internal/e2e unless named)
//	internalservice.go server.SetProviderServices: the health         TestProbe, TestStartStyles,
//	                   service is exported on every Triple protocol   TestServerGroupVersion,
//	                   of every server, after the business services,  TestHandlerEntryInYAML,
//	                   with a config of its own and without the       TestNoTripleProtocol
//	                   server's group and version (BeforeExport)
//	protocol.go        the "tri" protocol extension is wrapped: every TestExportAfterStart, TestProbe (imports),
//	                   export, unexport and Destroy passes through    TestPerPort, TestServerGroupVersion,
//	                   it; health is also exported under the server's TestOwnStore
//	                   group and version; a program's own store takes
//	                   the built-in's place
//	dubboprotocol.go   the "dubbo" protocol extension is wrapped,     TestDubboProtocol
//	                   lazily: its exports are reported on the
//	                   server's Triple ports
//	postprocessor.go   a ConfigPostProcessor: installs the Dubbo      TestDubboProtocol, TestLinkedTwice
//	                   wrapper; tells a second copy of the module
//	                   that this one is installed
//	twice.go           a second copy of the module, under another     TestLinkedTwice
//	                   module path, installs nothing and says so
//	servicemap.go      common.ServiceMap entries of the health        TestSIGTERMDuringWatch, TestPerPort,
//	                   service are removed and restored               TestOwnStore
//	filter.go          the health service's filter chain: the         TestHealthHonoursToken,
//	                   server's provider filters without limiters,    TestHealthHonoursProviderFilters,
//	                   graceful-shutdown counting and the like, each  TestPublicProbes,
//	                   wrapped to give refusals a code; none when     TestShutdownWithSecuredHealth,
//	                   health is public                               TestProbeUnderBusinessSaturation
//	recvlimit.go       the health service's own copies of the         TestRequestLimitOverUserConfig
//	                   Triple protocol configurations, with the
//	                   4 KiB receive limit
//	shutdown.go        graceful-shutdown callbacks: NOT_SERVING       TestSIGTERMDuringWatch, TestLoadOwnSignal
//	                   before listeners close; checkers stop last
//	signal.go          a second listener of the shutdown signals      TestSIGTERMDuringWatch
//	httphost.go        base.HTTPHandlerHost: /healthz and /readyz on  TestHTTPView, TestAttachedHTTPHandler,
//	                   each Triple port behind the health service's   TestHealthHonoursToken
//	                   filters, left to the program's own handler
//	                   unless health is public
//	probe.go           metrics/probe.RegisterReadiness: dubbo-go's    TestProbeServerReadiness
//	                   Kubernetes readiness probe follows ""
//	version.go         the release checked against (CheckedVersion):  TestProviderDubboGoVersions (make compat),
//	                   older ones fail to build, newer ones log once  TestInvokerWatch
//
// Beside these, healthserver/consumers.go relies on how dubbo-go v3.3.2's
// consumers Watch their providers (TestInvokerWatch pins it).
//
// Checked against dubbo-go v3.3.2. The root package calls Install once, from
// its init, with what the hooks need to reach the store and the switches,
// and SetPublicProbes with the switch that makes health public.
package dubbogo
