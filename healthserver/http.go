package healthserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The paths of the HTTP view.
const (
	LivenessPath  = "/healthz"
	ReadinessPath = "/readyz"
)

// HTTPHandler returns a plain HTTP view of s for load balancers and
// Kubernetes httpGet probes, which cannot send gRPC or POST JSON:
//
//	GET /healthz                 200 while the process serves, even while
//	                             shutting down (liveness: do not restart a
//	                             draining process)
//	GET /readyz?service=NAME     200 when NAME is SERVING, 503 when it is not,
//	                             404 when it is unknown, 400 when it is over
//	                             the length limit or not UTF-8; NAME
//	                             defaults to "", the whole server
//
// A 400 body repeats at most the first 64 bytes of the name, with invalid
// UTF-8 replaced, so that a client cannot make the server write back what
// it sent.
//
// Bodies are small JSON objects, {"status":"SERVING"} and the like. HEAD is
// answered like GET without a body; other methods get 405. Other paths get
// 404. The handler reads the same statuses as Check and is safe for
// concurrent use.
func (s *Server) HTTPHandler() http.Handler {
	return &httpView{s: s}
}

type httpView struct {
	s *Server
}

type viewBody struct {
	Service *string `json:"service,omitempty"`
	Status  string  `json:"status"`
	Error   string  `json:"error,omitempty"`
}

func (v *httpView) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != LivenessPath && r.URL.Path != ReadinessPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeView(w, r, http.StatusMethodNotAllowed, viewBody{Status: "ERROR", Error: "method not allowed"})
		return
	}
	if r.URL.Path == LivenessPath {
		writeView(w, r, http.StatusOK, viewBody{Status: "ALIVE"})
		return
	}
	name := r.URL.Query().Get("service")
	if err := v.s.checkName(name); err != nil {
		echo := echoName(name)
		writeView(w, r, http.StatusBadRequest, viewBody{Service: &echo, Status: "ERROR", Error: v.nameError(err)})
		return
	}
	st, ok := v.s.statusFor(name, scopeOf(r.Context()))
	switch {
	case !ok:
		writeView(w, r, http.StatusNotFound, viewBody{Service: &name, Status: serviceUnknown.String(), Error: "unknown service"})
	case st == Serving:
		writeView(w, r, http.StatusOK, viewBody{Service: &name, Status: st.String()})
	default:
		writeView(w, r, http.StatusServiceUnavailable, viewBody{Service: &name, Status: st.String()})
	}
}

func writeView(w http.ResponseWriter, r *http.Request, code int, body viewBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

// maxEcho is the most of an invalid name, in bytes, that a 400 body
// repeats.
const maxEcho = 64

// echoName returns what a 400 body shows of an invalid name: at most its
// first maxEcho bytes, cut at a character boundary and marked "...", with
// invalid UTF-8 replaced by U+FFFD.
func echoName(name string) string {
	cut := ""
	if len(name) > maxEcho {
		i := maxEcho
		for i > 0 && !utf8.RuneStart(name[i]) {
			i--
		}
		name, cut = name[:i], "..."
	}
	return strings.ToValidUTF8(name, "\uFFFD") + cut
}

// nameError says what is wrong with a name checkName refused.
func (v *httpView) nameError(err error) string {
	if errors.Is(err, ErrNameTooLong) {
		return fmt.Sprintf("invalid service name: longer than the limit of %d bytes", v.s.opts.maxNameLength)
	}
	return "invalid service name: not valid UTF-8"
}
