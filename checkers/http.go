package checkers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

import (
	"github.com/dubbo-health/health/healthcheck"
)

// maxDrain is how much of a response body HTTPGet reads before closing it.
// A short body read to its end lets the connection be used again; a longer
// one is not worth reading and the connection is closed instead.
const maxDrain = 4 << 10

// newDefaultClient returns the client of an HTTPGet checker made without
// WithHTTPClient. Each such checker has its own transport, so nothing the
// program does to http.DefaultTransport changes it and Close can release its
// connections, and no timeout: the context of each run is the limit. Idle
// connections are kept and reused, since a checker asks the same host every
// few seconds, and closed after 90 seconds unused or on Close.
func newDefaultClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{
				KeepAlive: 30 * time.Second,
			}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

// An HTTPOption configures a checker made by HTTPGet. HTTPOptions are made
// by WithHTTPClient and WithExpectedStatus.
type HTTPOption interface {
	applyHTTP(*httpOptions)
}

type httpOptionFunc func(*httpOptions)

func (f httpOptionFunc) applyHTTP(o *httpOptions) { f(o) }

type httpOptions struct {
	client   *http.Client
	expected []int // nil means any 2xx
}

// WithHTTPClient makes the checker send its requests with client, for TLS
// settings, a proxy, authentication in a RoundTripper, or redirects that are
// not followed. nil means the default client.
//
// The default client follows redirects (up to 10, as net/http does), uses
// the proxy the environment names, keeps idle connections for reuse for up
// to 90 seconds and has no timeout of its own. A client with a Timeout
// limits each run to the shorter of it and the run's context.
func WithHTTPClient(client *http.Client) HTTPOption {
	return httpOptionFunc(func(o *httpOptions) { o.client = client })
}

// WithExpectedStatus makes the checker pass only when the final status code
// is one of codes, instead of any 2xx. The last WithExpectedStatus given
// wins; one with no codes restores the default.
//
// The final status is the one after redirects the client follows; to expect
// a redirect status itself, give a client whose CheckRedirect returns
// http.ErrUseLastResponse with WithHTTPClient.
func WithExpectedStatus(codes ...int) HTTPOption {
	codes = slices.Clone(codes)
	return httpOptionFunc(func(o *httpOptions) {
		if len(codes) == 0 {
			o.expected = nil
			return
		}
		o.expected = codes
	})
}

// HTTPGet returns a checker that sends a GET request for rawURL and passes
// when the final status code is 2xx, or one of WithExpectedStatus. It reads
// at most 4 KiB of the response body, never judges it, and always closes it.
//
// Errors name the URL with any password hidden:
//
//	http get http://127.0.0.1:8080/healthz: status 503 Service Unavailable, want 2xx
//	http get http://127.0.0.1:8080/healthz: connection refused
//
// An unparsable rawURL makes every run fail with the parse error. The request
// ends when the run's context does.
//
// The checker implements io.Closer: Close releases the idle connections of
// its own client (not those of a client given with WithHTTPClient). The
// health server calls it when the checker is removed or the server closed.
func HTTPGet(rawURL string, opts ...HTTPOption) healthcheck.Checker {
	var o httpOptions
	for _, opt := range opts {
		opt.applyHTTP(&o)
	}
	c := &httpChecker{client: o.client, expected: o.expected}
	if c.client == nil {
		c.client = newDefaultClient()
		c.owned = true
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// The URL is not shown: it may hold a password that Redacted
		// cannot find in a URL it cannot parse.
		c.parseErr = &checkError{msg: "http get: invalid url: " + reason(err), errs: []error{err}}
		return c
	}
	c.url = u.String()
	c.what = "http get " + u.Redacted()
	return c
}

type httpChecker struct {
	client   *http.Client
	owned    bool // client was made for this checker: Close releases it
	expected []int
	url      string
	what     string // "http get " and the URL without its password
	parseErr error  // the error of every run when the URL is invalid
}

func (c *httpChecker) Check(ctx context.Context) error {
	if c.parseErr != nil {
		return c.parseErr
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return newCheckError(ctx, c.what, err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return newCheckError(ctx, c.what, err)
	}
	// Read a little so that a short body leaves the connection reusable;
	// its content and read errors do not matter.
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()
	if c.ok(resp.StatusCode) {
		return nil
	}
	return fmt.Errorf("%s: status %s, want %s", c.what, statusText(resp), c.want())
}

// Close releases the idle connections of the checker's own client.
func (c *httpChecker) Close() error {
	if c.owned {
		c.client.CloseIdleConnections()
	}
	return nil
}

func (c *httpChecker) ok(code int) bool {
	if c.expected == nil {
		return code >= 200 && code <= 299
	}
	return slices.Contains(c.expected, code)
}

func (c *httpChecker) want() string {
	if c.expected == nil {
		return "2xx"
	}
	s := make([]string, len(c.expected))
	for i, code := range c.expected {
		s[i] = strconv.Itoa(code)
	}
	return strings.Join(s, " or ")
}

// statusText returns "503 Service Unavailable", or the code alone when the
// server sent no reason phrase.
func statusText(resp *http.Response) string {
	if resp.Status != "" {
		return resp.Status
	}
	return strconv.Itoa(resp.StatusCode)
}
