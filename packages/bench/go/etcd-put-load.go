// etcd-put-load is this project's load generator for etcd, written for `pnpm bench:compare` so that
// etcd is measured through its own Go client (go.etcd.io/etcd/clientv3), as etcd's benchmark tool
// drives it, rather than through a Node client.
//
// It opens -conns client connections (one clientv3.Client, hence one gRPC connection, each) to one
// endpoint and runs -clients concurrent put loops over them (loop i uses connection i mod conns). It
// runs either for -warmup-seconds then -seconds (puts completing inside the window are counted), or
// for -warmup-count then -count puts in total. Keys cycle over -key-space names "<prefix><n>"; every
// value is -value-size bytes.
//
// Stdout carries JSON lines only: {"event":"start",...} when the measured window opens,
// {"event":"end",...} when it closes (each with the puts completed so far and this process's CPU time,
// so a caller can read the servers' CPU at the same moments), then one result object. Errors go to
// stderr and exit status 1 (2 for bad flags).
//
// Build (GOPATH mode, Debian's packages, nothing downloaded):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o etcd-put-load etcd-put-load.go
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
)

// options holds the parsed command line.
type options struct {
	endpoint      string
	conns         int
	clients       int
	seconds       float64
	warmupSeconds float64
	count         int64
	warmupCount   int64
	valueSize     int
	keyPrefix     string
	keySpace      int64
	timeout       time.Duration
}

// result is the final JSON line: what the measured window did.
type result struct {
	Conns      int     `json:"conns"`
	Clients    int     `json:"clients"`
	ValueSize  int     `json:"valueSize"`
	Puts       int64   `json:"puts"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PutsPerSec float64 `json:"putsPerSec"`
	P50Ms      float64 `json:"p50Ms"`
	P90Ms      float64 `json:"p90Ms"`
	P99Ms      float64 `json:"p99Ms"`
	MaxMs      float64 `json:"maxMs"`
	MeanMs     float64 `json:"meanMs"`
	// ClientCPUUs is this process's user+system CPU time inside the measured window, in microseconds.
	ClientCPUUs float64 `json:"clientCpuUs"`
	FirstError  string  `json:"firstError,omitempty"`
}

// event marks the start or end of the measured window.
type event struct {
	Event     string  `json:"event"`
	Completed int64   `json:"completed"`
	CPUUs     float64 `json:"cpuUs"`
}

// cpuUs reads this process's user+system CPU time in microseconds.
func cpuUs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

// output serialises writes to stdout so event and result lines never interleave.
type output struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *output) write(v interface{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-put-load: writing stdout:", err)
		os.Exit(1)
	}
}

func parseOptions() options {
	var o options
	flag.StringVar(&o.endpoint, "endpoint", "", "etcd client URL to write to, e.g. http://127.0.0.1:2379 (required)")
	flag.IntVar(&o.conns, "conns", 1, "client connections (one clientv3.Client each)")
	flag.IntVar(&o.clients, "clients", 1, "concurrent put loops, spread over the connections")
	flag.Float64Var(&o.seconds, "seconds", 0, "measured window in seconds (time mode)")
	flag.Float64Var(&o.warmupSeconds, "warmup-seconds", 0, "load before the measured window (time mode)")
	flag.Int64Var(&o.count, "count", 0, "measured puts (count mode; used when -seconds is 0)")
	flag.Int64Var(&o.warmupCount, "warmup-count", 0, "puts before the measured ones (count mode)")
	flag.IntVar(&o.valueSize, "value-size", 16, "value size in bytes")
	flag.StringVar(&o.keyPrefix, "key-prefix", "tp-", "key prefix")
	flag.Int64Var(&o.keySpace, "key-space", 1000, "number of distinct keys")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "watchdog: give up this long after the warm-up and window should have ended (time mode), or after the start (count mode)")
	flag.Parse()
	bad := func(msg string) {
		fmt.Fprintln(os.Stderr, "etcd-put-load:", msg)
		flag.Usage()
		os.Exit(2)
	}
	switch {
	case o.endpoint == "":
		bad("-endpoint is required")
	case o.conns < 1 || o.clients < 1:
		bad("-conns and -clients must be at least 1")
	case o.seconds < 0 || o.warmupSeconds < 0 || o.count < 0 || o.warmupCount < 0:
		bad("durations and counts cannot be negative")
	case o.seconds == 0 && o.count == 0:
		bad("give -seconds or -count")
	case o.keySpace < 1 || o.valueSize < 0:
		bad("-key-space must be at least 1 and -value-size at least 0")
	}
	return o
}

// percentile reads quantile q of sorted xs (nearest rank), like the Node side of the bench.
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*q+0.999999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func main() {
	o := parseOptions()
	out := &output{enc: json.NewEncoder(os.Stdout)}

	clients := make([]*clientv3.Client, o.conns)
	for i := range clients {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{o.endpoint}, DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd-put-load: connecting to %s: %v\n", o.endpoint, err)
			os.Exit(1)
		}
		defer c.Close()
		clients[i] = c
	}
	value := strings.Repeat("v", o.valueSize)
	// Keys are made once, so a put loop does no formatting.
	keys := make([]string, o.keySpace)
	for i := range keys {
		keys[i] = o.keyPrefix + strconv.FormatInt(int64(i), 10)
	}
	// Puts carry no deadline, as in etcd's own tool: a deadline is sent along with each call and costs
	// the server a timer per request. A watchdog ends a run that outlives -timeout beyond its length.
	ctx := context.Background()
	limit := o.timeout + time.Duration((o.warmupSeconds+o.seconds)*float64(time.Second))
	time.AfterFunc(limit, func() {
		fmt.Fprintf(os.Stderr, "etcd-put-load: still running after %v, giving up\n", limit)
		os.Exit(1)
	})

	var (
		completed int64 // puts acknowledged since the start, warm-up included
		errCount  int64
		next      int64 // the next put's ticket (its key is ticket mod key space)
		firstErr  atomic.Value
	)
	timeMode := o.seconds > 0
	start := time.Now()
	measureFrom := start.Add(time.Duration(o.warmupSeconds * float64(time.Second)))
	end := measureFrom.Add(time.Duration(o.seconds * float64(time.Second)))

	// The window's edges: in time mode a timer opens and closes it; in count mode the first measured
	// ticket opens it and the last measured completion closes it.
	var startEv, endEv event
	var startOnce, endOnce sync.Once
	var startAt, endAt time.Time
	mark := func(name string, ev *event, at *time.Time) {
		*at = time.Now()
		*ev = event{Event: name, Completed: atomic.LoadInt64(&completed), CPUUs: cpuUs()}
		out.write(*ev)
	}
	openWindow := func() { startOnce.Do(func() { mark("start", &startEv, &startAt) }) }
	closeWindow := func() { endOnce.Do(func() { mark("end", &endEv, &endAt) }) }
	if timeMode {
		time.AfterFunc(time.Until(measureFrom), openWindow)
		time.AfterFunc(time.Until(end), closeWindow)
	}

	lats := make([][]float64, o.clients)
	var inWindow int64
	var wg sync.WaitGroup
	for w := 0; w < o.clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cli := clients[w%o.conns]
			var mine []float64
			now := time.Now()
			for {
				var measured bool
				ticket := atomic.AddInt64(&next, 1) - 1
				if timeMode {
					if !now.Before(end) {
						break
					}
				} else {
					if ticket >= o.warmupCount+o.count {
						break
					}
					measured = ticket >= o.warmupCount
					if ticket == o.warmupCount {
						openWindow()
					}
				}
				t0 := time.Now()
				_, err := cli.Put(ctx, keys[ticket%o.keySpace], value)
				t1 := time.Now()
				now = t1
				if err != nil {
					atomic.AddInt64(&errCount, 1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				atomic.AddInt64(&completed, 1)
				if timeMode {
					measured = !t1.Before(measureFrom) && t1.Before(end)
				}
				if measured {
					atomic.AddInt64(&inWindow, 1)
					mine = append(mine, float64(t1.Sub(t0).Nanoseconds())/1e6)
				}
			}
			lats[w] = mine
		}(w)
	}
	wg.Wait()
	if !timeMode {
		closeWindow()
	} else {
		openWindow() // no-ops unless the timers never fired (a zero-length run)
		closeWindow()
	}

	var all []float64
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Float64s(all)
	sum := 0.0
	for _, x := range all {
		sum += x
	}
	r := result{
		Conns: o.conns, Clients: o.clients, ValueSize: o.valueSize,
		Puts: inWindow, Errors: atomic.LoadInt64(&errCount),
		P50Ms: percentile(all, 0.5), P90Ms: percentile(all, 0.9), P99Ms: percentile(all, 0.99),
		ClientCPUUs: endEv.CPUUs - startEv.CPUUs,
	}
	if timeMode {
		r.Seconds = o.seconds
	} else {
		r.Seconds = endAt.Sub(startAt).Seconds()
	}
	if r.Seconds > 0 {
		r.PutsPerSec = float64(r.Puts) / r.Seconds
	}
	if len(all) > 0 {
		r.MaxMs = all[len(all)-1]
		r.MeanMs = sum / float64(len(all))
	}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstError = e
	}
	out.write(r)
}
