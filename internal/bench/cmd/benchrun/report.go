package main

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

import (
	"github.com/dubbo-health/health/internal/bench"
)

// report renders the results as the text table of results.txt.
func report(r *results) string {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "dubbo-health make bench, %s, took %v\n", r.Started.Format("2006-01-02 15:04 MST"), r.Elapsed)
	fmt.Fprintf(&b, "machine: %s/%s, %d CPUs (%s), %s; servers and load generators share the CPUs\n",
		r.Machine.GOOS, r.Machine.GOARCH, r.Machine.CPUs, r.Machine.CPU, r.Machine.Go)
	fmt.Fprintf(&b, "loads: 127.0.0.1 only; %d runs x %v per target after a %v warm-up, targets interleaved round-robin;\n", s.Runs, s.Dur, s.Warmup)
	fmt.Fprintf(&b, "       numbers are medians of the runs, ratios are ratios of medians (range: min-max of per-round ratios)\n")
	if len(r.LoadAvg) > 0 {
		var ls []string
		for _, ph := range []string{"in-process", "unary+http", "watch", "consumers"} {
			if l, ok := r.LoadAvg[ph]; ok {
				ls = append(ls, fmt.Sprintf("%s %.1f->%.1f", ph, l[0], l[1]))
			}
		}
		fmt.Fprintf(&b, "load average (1 min) at start->end of each phase: %s\n", strings.Join(ls, ", "))
	}
	if s.Profile != "" {
		fmt.Fprintf(&b, "NOTE: servers ran with CPU profiling on (-profile); numbers are not for comparison with other runs\n")
	}
	var goals []goalLine

	if len(r.Unary) > 0 {
		fmt.Fprintf(&b, "\n1. gRPC unary, grpc-go client, %d callers over %d connections, Check %q\n", s.Callers, s.Conns, s.Service)
		tw := newTable(&b)
		fmt.Fprintln(tw, "target\treq/s\tp50\tp99\tserver CPU/req\treq/s of each run\terrors\t")
		for _, t := range unaryTargets(s) {
			runs := r.Unary[t.key]
			if len(runs) == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", t.label, medRPS(runs), fmtDur(medDur(runs, p50)), fmtDur(medDur(runs, p99)),
				fmtDur(time.Duration(bench.Median(unaryCPU(runs)))), listRPS(runs), sumErrors(runs))
		}
		tw.Flush()
		tw = newTable(&b)
		fmt.Fprintln(tw, "ratio (req/s)\tof medians\tper round: median\trange\tgoal\tserver CPU/req ratio\t")
		for _, q := range []struct {
			num, den, what string
			goal           float64
		}{
			{"a", "b", "dubbo-health / dubbo-go built-in", 1.0},
			{"a", "c", "dubbo-health Check / no-op Triple method", 0.95},
			{"b", "d", "dubbo-go built-in / grpc-go health", 0},
			{"a", "d", "dubbo-health / grpc-go health", 0},
			{"c", "e", "no-op Triple / no-op grpc-go (transport)", 0},
			{"c", "f", "no-op Triple on a)'s / on b)'s server", 0},
			{"b", "f", "dubbo-go built-in / no-op Triple, b)'s server", 0},
		} {
			num, den := r.Unary[q.num], r.Unary[q.den]
			if len(num) == 0 || len(den) == 0 {
				continue
			}
			v := medRPS(num) / medRPS(den)
			mid, lo, hi := roundRatios(rpsOf(num), rpsOf(den))
			g := "(context)"
			if q.goal > 0 {
				verdict := ratioVerdict(v, mid, q.goal)
				g = fmt.Sprintf(">= %.2fx: %s", q.goal, verdict)
				goals = append(goals, goalLine{fmt.Sprintf("gRPC Check %s/%s >= %.2fx", q.num, q.den, q.goal),
					fmt.Sprintf("%.2fx (per round %.2fx)", v, mid), verdict})
			}
			cpu := bench.Median(unaryCPU(num)) / bench.Median(unaryCPU(den))
			fmt.Fprintf(tw, "%s/%s %s\t%.2fx\t%.2fx\t%.2f-%.2fx\t%s\t%.2fx\t\n", q.num, q.den, q.what, v, mid, lo, hi, g, cpu)
		}
		tw.Flush()
		fmt.Fprintf(&b, "server CPU/req: the server process's user+system CPU time during a run over its requests (lower is cheaper;\n")
		fmt.Fprintf(&b, "  less sensitive to a busy machine than req/s, which also depends on the CPU left to the client)\n")
	}

	if len(r.HTTP) > 0 {
		fmt.Fprintf(&b, "\n2. HTTP/1.1 POST JSON Check {\"service\":%q}, load: %s\n", s.Service, r.HTTPGenerator)
		tw := newTable(&b)
		fmt.Fprintln(tw, "target\treq/s\tp50\tp99\tserver CPU/req\treq/s of each run\tnon-2xx+socket errors\t")
		for _, t := range httpTargets {
			runs := r.HTTP[t.key]
			if len(runs) == 0 {
				continue
			}
			var rps, cpus []float64
			var p50s, p99s []time.Duration
			var bad int64
			for _, x := range runs {
				rps = append(rps, x.RPS)
				cpus = append(cpus, cpuPerReq(x.ServerCPU, x.Requests))
				p50s = append(p50s, x.P50)
				p99s = append(p99s, x.P99)
				bad += x.Non2xx + x.SocketErrors
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t\n", t.label, bench.Median(rps), fmtDur(bench.MedianDuration(p50s)), fmtDur(bench.MedianDuration(p99s)),
				fmtDur(time.Duration(bench.Median(cpus))), listFloats(rps), bad)
		}
		tw.Flush()
		if a, bb := r.HTTP["a"], r.HTTP["b"]; len(a) > 0 && len(bb) > 0 {
			rps := func(xs []bench.HTTPResult) (v []float64) {
				for _, x := range xs {
					v = append(v, x.RPS)
				}
				return v
			}
			ra, rb := rps(a), rps(bb)
			v := bench.Median(ra) / bench.Median(rb)
			mid, lo, hi := roundRatios(ra, rb)
			cpu := func(xs []bench.HTTPResult) (v []float64) {
				for _, x := range xs {
					v = append(v, cpuPerReq(x.ServerCPU, x.Requests))
				}
				return v
			}
			verdict := ratioVerdict(v, mid, 1)
			fmt.Fprintf(&b, "a/b dubbo-health / dubbo-go built-in: %.2fx of medians (per round: median %.2fx, range %.2f-%.2fx), goal >= 1.00x: %s;\n", v, mid, lo, hi, verdict)
			fmt.Fprintf(&b, "    server CPU/req a/b %.2fx\n", bench.Median(cpu(a))/bench.Median(cpu(bb)))
			goals = append(goals, goalLine{"HTTP JSON Check a/b >= 1.00x", fmt.Sprintf("%.2fx (per round %.2fx)", v, mid), verdict})
		}
	}

	if len(r.Fanout) > 0 {
		fmt.Fprintf(&b, "\n3. Watch fan-out: %d streams of %q over %d connections; %d runs x %d flips (NOT_SERVING/SERVING)\n",
			s.Watchers, s.Service, s.WatchConns, s.WatchRounds, s.Flips+s.Flips%2)
		fmt.Fprintf(&b, "   flip latency: from the control command to each watcher's Recv (grpc-go client); p50 and p99 are medians over the flips,\n")
		fmt.Fprintf(&b, "   worst p99 and max over all flips; CPU/update: server CPU time of a flip over the streams (median);\n")
		fmt.Fprintf(&b, "   memory: server's HeapInuse after GC (mem) and RSS, streams open minus connections open, a fresh server per run\n")
		tw := newTable(&b)
		fmt.Fprintln(tw, "target\topen all\topen CPU/stream\tflip p50\tflip p99\tworst p99\tmax\tCPU/update\theap/stream\tRSS/stream\tgoroutines/stream\theap/conn\tgoroutines left\t")
		for _, t := range fanoutTargets {
			runs := r.Fanout[t.key]
			if len(runs) == 0 {
				continue
			}
			f := summarize(runs)
			flips := []string{"-", "-", "-", "-", "-"}
			if t.flips {
				flips = []string{fmtDur(f.p50), fmtDur(f.p99), fmtDur(f.worstP99), fmtDur(f.max), fmtDur(f.cpuPerUpdate)}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f B\t%.0f B\t%.2f\t%.0f B\t%d\t\n", t.label,
				fmtDur(f.open), fmtDur(f.openCPU), strings.Join(flips, "\t"),
				f.heap, f.rss, f.goroutines, f.heapConn, f.left)
		}
		tw.Flush()
		if a := r.Fanout["a"]; len(a) > 0 {
			fa := summarize(a)
			ok := fa.p99 <= 100*time.Millisecond
			fmt.Fprintf(&b, "a) flip p99 %s (worst %s), goal <= 100ms: %s\n", fmtDur(fa.p99), fmtDur(fa.worstP99), metString(ok))
			goals = append(goals, goalLine{"Watch flip p99 <= 100ms (a)", fmtDur(fa.p99) + " (worst " + fmtDur(fa.worstP99) + ")", metString(ok)})
			if d := r.Fanout["d"]; len(d) > 0 {
				fd := summarize(d)
				v := fa.heap / fd.heap
				fmt.Fprintf(&b, "a/d heap per stream %.2fx, RSS per stream %.2fx, goroutines per stream %.2fx; goal (heap) <= 1.00x: %s;\n",
					v, fa.rss/fd.rss, fa.goroutines/fd.goroutines, metString(v <= 1))
				fmt.Fprintf(&b, "    server CPU per update a/d %.2fx, per stream opened %.2fx\n",
					float64(fa.cpuPerUpdate)/float64(fd.cpuPerUpdate), float64(fa.openCPU)/float64(fd.openCPU))
				goals = append(goals, goalLine{"Watch heap per stream a/d <= 1.00x", fmt.Sprintf("%.2fx (RSS %.2fx)", v, fa.rss/fd.rss), metString(v <= 1)})
			}
			if hm := r.HandlerMem; hm != nil {
				fmt.Fprintf(&b, "handlers alone (in-process, fresh process each, %d Watch calls on discarding streams, no transport;\n", hm.Ours.Watches)
				fmt.Fprintf(&b, "  flip: SetServingStatus until every call has sent the status, median of %d):\n", hm.Ours.Flips)
				tw := newTable(&b)
				fmt.Fprintln(tw, "    handler\theap/watch\tstack/watch\tgoroutines/watch\tflip to all\tCPU/flip\t")
				for _, x := range []struct {
					label string
					m     bench.HandlerWatch
				}{{"dubbo-health healthserver.Handler", hm.Ours}, {"grpc-go health.Server", hm.GRPCGo}} {
					fmt.Fprintf(tw, "    %s\t%.0f B\t%.0f B\t%.2f\t%s\t%s\t\n", x.label, x.m.HeapPerWatch, x.m.StackPerWatch, x.m.GoroutinesPerWatch,
						fmtDur(x.m.FlipWall), fmtDur(x.m.FlipCPU))
				}
				tw.Flush()
				fmt.Fprintf(&b, "    ratios: heap/watch %.2fx, heap+stack %.2fx, flip to all %.2fx, CPU/flip %.2fx\n",
					hm.Ours.HeapPerWatch/hm.GRPCGo.HeapPerWatch,
					(hm.Ours.HeapPerWatch+hm.Ours.StackPerWatch)/(hm.GRPCGo.HeapPerWatch+hm.GRPCGo.StackPerWatch),
					float64(hm.Ours.FlipWall)/float64(hm.GRPCGo.FlipWall), float64(hm.Ours.FlipCPU)/float64(hm.GRPCGo.FlipCPU))
			}
			if rb := r.Fanout["b"]; len(rb) > 0 {
				fb := summarize(rb)
				fmt.Fprintf(&b, "a/b (same transport, dubbo-go's built-in health) heap per stream %.2fx, RSS per stream %.2fx\n", fa.heap/fb.heap, fa.rss/fb.rss)
			}
		}
	}

	if len(r.GoBench) > 0 {
		fmt.Fprintf(&b, "\n4. In-process (go test -bench . -benchmem -count %d -benchtime %s ./healthserver), medians; raw: healthserver.txt\n", s.InprocCount, s.InprocBenchtime)
		fmt.Fprintf(&b, "   dubbo-health's SetServingStatus wakes watchers by closing a channel (their sends run in their own goroutines,\n")
		fmt.Fprintf(&b, "   not timed here); grpc-go's hands the status to every watcher's channel inside the call\n")
		tw := newTable(&b)
		fmt.Fprintln(tw, "benchmark\tdubbo-health ns/op\tallocs/op\tB/op\tgrpc-go ns/op\tallocs/op\tB/op\tns ratio\t")
		rows := []struct{ label, ours, theirs string }{
			{"Check, serial", "BenchmarkCheck/serial", "BenchmarkGRPCGoCheck/serial"},
			{"Check, parallel", "BenchmarkCheck/parallel", "BenchmarkGRPCGoCheck/parallel"},
			{"SetServingStatus, 0 watchers", "BenchmarkSetServingStatus/watchers=0", "BenchmarkGRPCGoSetServingStatus/watchers=0"},
			{"SetServingStatus, 1000 watchers", "BenchmarkSetServingStatus/watchers=1000", "BenchmarkGRPCGoSetServingStatus/watchers=1000"},
			{"SetServingStatus, 10000 watchers", "BenchmarkSetServingStatus/watchers=10000", "BenchmarkGRPCGoSetServingStatus/watchers=10000"},
			{"SetServingStatus, 0 watchers, zap log line", "BenchmarkSetServingStatus/watchers=0/log=zap", ""},
		}
		for _, row := range rows {
			o := r.GoBench[row.ours]
			if o == nil {
				continue
			}
			t := r.GoBench[row.theirs]
			theirs, ratio := "-\t-\t-", "-"
			if t != nil {
				theirs = fmt.Sprintf("%s\t%.0f\t%.0f", fmtNs(bench.Median(t.NsPerOp)), bench.Median(t.AllocsPerOp), bench.Median(t.BytesPerOp))
				ratio = fmt.Sprintf("%.2gx", bench.Median(o.NsPerOp)/bench.Median(t.NsPerOp))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%s\t%s\t\n", row.label, fmtNs(bench.Median(o.NsPerOp)), bench.Median(o.AllocsPerOp), bench.Median(o.BytesPerOp), theirs, ratio)
		}
		tw.Flush()
	}

	if c := r.Consumers; c != nil {
		reportConsumers(&b, s, c)
	}

	if len(goals) > 0 {
		fmt.Fprintf(&b, "\nGoals\n")
		tw := newTable(&b)
		for _, g := range goals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", g.what, g.value, g.verdict)
		}
		tw.Flush()
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nnote: %s\n", n)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "\nFAILED: %s\n", e)
	}
	return b.String()
}

type goalLine struct {
	what, value, verdict string
}

// ratioVerdict judges a throughput ratio against a goal: met when both the
// ratio of the medians and the median of the per-round ratios reach it, not
// met when both are more than 2% short of it, and at parity (the difference
// is below what this machine can resolve) otherwise.
func ratioVerdict(ofMedians, perRound, goal float64) string {
	switch {
	case ofMedians >= goal && perRound >= goal:
		return "met"
	case ofMedians < goal*0.98 && perRound < goal*0.98:
		return "NOT met"
	default:
		return "at parity, within noise"
	}
}

func metString(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func newTable(b *strings.Builder) *tabwriter.Writer {
	return tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
}

// cpuPerReq is cpu over n, in nanoseconds, 0 for no requests.
func cpuPerReq(cpu time.Duration, n int64) float64 {
	if n <= 0 {
		return 0
	}
	return float64(cpu) / float64(n)
}

func unaryCPU(runs []bench.UnaryResult) []float64 {
	v := make([]float64, len(runs))
	for i, x := range runs {
		v[i] = cpuPerReq(x.ServerCPU, x.Requests)
	}
	return v
}

func p50(x bench.UnaryResult) time.Duration { return x.P50 }
func p99(x bench.UnaryResult) time.Duration { return x.P99 }

func medRPS(runs []bench.UnaryResult) float64 { return bench.Median(rpsOf(runs)) }

func medDur(runs []bench.UnaryResult, f func(bench.UnaryResult) time.Duration) time.Duration {
	v := make([]time.Duration, len(runs))
	for i, x := range runs {
		v[i] = f(x)
	}
	return bench.MedianDuration(v)
}

func listRPS(runs []bench.UnaryResult) string { return listFloats(rpsOf(runs)) }

func listFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.0f", x)
	}
	return strings.Join(s, " ")
}

func sumErrors(runs []bench.UnaryResult) int64 {
	var n int64
	for _, x := range runs {
		n += x.Errors
	}
	return n
}

func rpsOf(runs []bench.UnaryResult) []float64 {
	v := make([]float64, len(runs))
	for i, x := range runs {
		v[i] = x.RPS
	}
	return v
}

// roundRatios returns the median, smallest and largest of the ratios a[i]/b[i]
// of values measured in the same round.
func roundRatios(a, b []float64) (mid, lo, hi float64) {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			rs = append(rs, a[i]/b[i])
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	return bench.Median(rs), slices.Min(rs), slices.Max(rs)
}

// fanoutSummary condenses the fan-out runs of one target.
type fanoutSummary struct {
	open, p50, p99, worstP99, max   time.Duration
	cpuPerUpdate, openCPU           time.Duration
	heap, rss, goroutines, heapConn float64
	left                            int
}

func summarize(runs []bench.FanoutResult) fanoutSummary {
	var (
		f                            fanoutSummary
		opens, p50s, p99s, cpus      []time.Duration
		openCPUs                     []time.Duration
		heaps, rsss, gors, heapConns []float64
	)
	for _, x := range runs {
		opens = append(opens, x.Open)
		openCPUs = append(openCPUs, x.OpenCPU/time.Duration(max(1, x.Streams)))
		heaps = append(heaps, x.HeapPerStream)
		rsss = append(rsss, x.RSSPerStream)
		gors = append(gors, x.GoroutinesPerStream)
		heapConns = append(heapConns, x.HeapPerConn)
		f.left = max(f.left, x.Closed.Goroutines-x.Idle.Goroutines)
		for _, fl := range x.Flips {
			cpus = append(cpus, fl.ServerCPU/time.Duration(max(1, x.Streams)))
			p50s = append(p50s, fl.P50)
			p99s = append(p99s, fl.P99)
			f.worstP99 = max(f.worstP99, fl.P99)
			f.max = max(f.max, fl.Max)
		}
	}
	f.open = bench.MedianDuration(opens)
	f.cpuPerUpdate = bench.MedianDuration(cpus)
	f.openCPU = bench.MedianDuration(openCPUs)
	f.p50 = bench.MedianDuration(p50s)
	f.p99 = bench.MedianDuration(p99s)
	f.heap = bench.Median(heaps)
	f.rss = bench.Median(rsss)
	f.goroutines = bench.Median(gors)
	f.heapConn = bench.Median(heapConns)
	return f
}

// fmtDur prints a latency with three significant digits or so.
func fmtDur(d time.Duration) string {
	switch {
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.1fus", float64(d)/float64(time.Microsecond))
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fus", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtNs(ns float64) string {
	if ns < 100 {
		return fmt.Sprintf("%.1f", ns)
	}
	return fmt.Sprintf("%.0f", ns)
}

// reportConsumers writes section 5: what registry consumers did through
// NOT_SERVING and SIGTERM, next to the time a grpc-go Watch took to read the
// same change.
func reportConsumers(b *strings.Builder, s settings, c *bench.ConsumersResult) {
	fmt.Fprintf(b, "\n5. Consumers through etcd: providers A and B (interface and application level), one consumer of each kind,\n")
	fmt.Fprintf(b, "   failfast, a call every %v (the resolution of the times); %d rounds of NOT_SERVING for %v on A, %d SIGTERM rounds\n",
		c.Interval, s.ConsumerBlips, c.Hold, s.ConsumerShutdowns)
	fmt.Fprintf(b, "   baseline, a grpc-go Watch of A: NOT_SERVING read %s after the set, SERVING %s, NOT_SERVING %s after SIGTERM;\n",
		medMax(c.WatchNotServing), medMax(c.WatchServing), medMax(c.WatchShutdown))
	fmt.Fprintf(b, "   A exits %s after SIGTERM (dubbo-go's consumer wait 2s); times are median (max) over the rounds\n", medMax(c.ProviderExit))
	tw := newTable(b)
	fmt.Fprintln(tw, "consumer	last call to A after NOT_SERVING	A's share of calls while NOT_SERVING	first call to A after SERVING	last call to A after SIGTERM	failed calls\t")
	for _, kind := range bench.ConsumerKinds {
		f := c.Consumers[kind]
		if f == nil {
			continue
		}
		removal := "none: stays in"
		if len(f.Removal) > 0 {
			removal = medMax(f.Removal)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f%%\t%s\t%s\t%d of %d\t\n", kind, removal, 100*bench.Median(f.ShareDuring),
			medMax(f.Recovery), medMax(f.ShutdownRemoval), f.Failed, f.Calls)
	}
	tw.Flush()
	for _, kind := range bench.ConsumerKinds {
		if f := c.Consumers[kind]; f != nil {
			for _, e := range f.Errors {
				fmt.Fprintf(b, "   %s error: %.300s\n", kind, e)
			}
		}
	}
	fmt.Fprintf(b, "   plain dubbo-go consumers keep a provider through a NOT_SERVING (dubbo-health shows their invoker's Watch\n")
	fmt.Fprintf(b, "   NOT_SERVING only at shutdown) and leave it at SIGTERM; clienthealth consumers route away and back\n")
}

// medMax prints the median and the largest of ds: "12.0ms (31.0ms)"; 0
// means no call after the event.
func medMax(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	f := func(d time.Duration) string {
		if d == 0 {
			return "0"
		}
		return fmtDur(d)
	}
	return fmt.Sprintf("%s (%s)", f(bench.MedianDuration(ds)), f(slices.Max(ds)))
}
