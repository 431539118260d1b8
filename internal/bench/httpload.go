package bench

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// RunHTTPLoad is RunWRK without wrk: o.Conns HTTP/1.1 keep-alive
// connections, one caller each, post body as JSON to url back to back for
// o.Duration (o.Threads is not used). make bench uses it where wrk is not
// installed. Its numbers are lower than wrk's on the same server, since the
// Go client costs more CPU per request than wrk's C and shares the machine:
// compare targets within one run, not with a run that used wrk.
func RunHTTPLoad(ctx context.Context, url, body, want string, o WRKOptions) (HTTPResult, error) {
	if err := postOnce(ctx, url, body, want); err != nil {
		return HTTPResult{}, err
	}
	conns := max(1, o.Conns)
	lctx, cancel := context.WithTimeout(ctx, max(o.Duration, 100*time.Millisecond))
	defer cancel()

	type callerResult struct {
		lat          []time.Duration
		non2xx, errs int64
	}
	results := make([]callerResult, conns)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			// One transport per caller, one connection each, as wrk -c.
			tr := &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConnsPerHost: 1,
				MaxConnsPerHost:     1,
				DisableCompression:  true,
			}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			r := &results[i]
			for lctx.Err() == nil {
				t0 := time.Now()
				req, err := http.NewRequestWithContext(lctx, http.MethodPost, url, strings.NewReader(body))
				if err != nil {
					r.errs++
					return
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					if lctx.Err() == nil {
						r.errs++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				r.lat = append(r.lat, time.Since(t0))
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					r.non2xx++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var res HTTPResult
	var lat []time.Duration
	for _, r := range results {
		lat = append(lat, r.lat...)
		res.Non2xx += r.non2xx
		res.SocketErrors += r.errs
	}
	res.Requests = int64(len(lat))
	if elapsed > 0 {
		res.RPS = float64(res.Requests) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50 = lat[len(lat)/2]
		res.P99 = lat[len(lat)*99/100]
	}
	return res, nil
}
