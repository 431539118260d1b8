package dubbogo

import (
	"reflect"
	"strings"
)

import (
	"dubbo.apache.org/dubbo-go/v3/common"
	"dubbo.apache.org/dubbo-go/v3/common/constant"
	"dubbo.apache.org/dubbo-go/v3/common/extension"
)

// Relies on (dubbo-go v3.3.2, common/extension/config_post_processor.go and
// server/action.go): a ConfigPostProcessor registered by name is asked to
// post-process the URL of every export of a service (and of every
// reference) right before it happens; a second registration under the same
// name replaces the first.

// postProcessor is this module's ConfigPostProcessor. It changes no URL: it
// installs the Dubbo protocol wrapper (dubboprotocol.go) when the first
// export on that protocol is about to happen, and, being registered under
// the module's name, tells a second copy of the module that this one was
// installed first (twice.go).
type postProcessor struct{}

// PostProcessServiceConfig implements config.ConfigPostProcessor.
func (postProcessor) PostProcessServiceConfig(url *common.URL) {
	if url.Protocol == constant.DubboProtocol && host.Enabled() {
		wrapDubbo()
	}
}

// PostProcessReferenceConfig implements config.ConfigPostProcessor.
func (postProcessor) PostProcessReferenceConfig(*common.URL) {}

// DubboHealthModule returns the module path of this copy of dubbo-health.
// Another copy of the module, linked under another path, finds it through
// the registered post-processor.
func (postProcessor) DubboHealthModule() string { return modulePath }

// modulePath is the path this copy of the module is linked under: the
// package path of this package without "/internal/dubbogo".
var modulePath = strings.TrimSuffix(reflect.TypeFor[postProcessor]().PkgPath(), "/internal/dubbogo")

func registerPostProcessor() {
	extension.SetConfigPostProcessor(internalServiceName, postProcessor{})
}
