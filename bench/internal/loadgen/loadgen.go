// Package loadgen is a lean closed-loop HTTP/1.1 load generator for the
// benchmarks: N workers, each on its own keep-alive connection, send one
// request, read the whole answer, and send the next. Requests are built
// from a template per request (so each can carry its own user agent), the
// answer is parsed just enough to know its status and length, and nothing
// is allocated per request beyond the request bytes. A run stops sending at
// its deadline but waits for the answers in flight ("drains"), so the
// count of acknowledged requests is exact — what the durability checks
// compare with the rows in the database.
package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a run.
type Options struct {
	Addr    string        // host:port
	Conns   int           // concurrent connections (workers)
	Warmup  time.Duration // answers before Start+Warmup are not measured (but counted as acknowledged)
	Measure time.Duration // measured window after the warm-up
	// Request builds the raw request of worker w's n-th request into buf
	// and returns it (HTTP/1.1, keep-alive).
	Request func(buf []byte, w, n int) []byte
	// Timeout bounds one request (dial, write, read); 0 = 30 s.
	Timeout time.Duration
	// MaxRequests stops each worker after this many requests (0 = no cap);
	// a bound for tests.
	MaxRequests int
}

// Result is what a run saw.
type Result struct {
	Conns       int
	Sent        int64         // requests written (whole run)
	Status      map[int]int64 // answers by status (whole run, warm-up and drain included)
	Errors      int64         // transport errors (refused, reset, timeout, malformed)
	FirstError  string
	Measured    int64         // answers completed inside the measured window
	MeasuredOK  int64         // 2xx/3xx answers inside the measured window
	Window      time.Duration // the measured window's real length
	Throughput  float64       // MeasuredOK / Window, per second
	LatencyP50  time.Duration // of answers inside the measured window
	LatencyP90  time.Duration
	LatencyP99  time.Duration
	LatencyP999 time.Duration
	LatencyMax  time.Duration
	Elapsed     time.Duration // the whole run, drain included
}

// OK returns the number of answers with status code.
func (r Result) OK(code int) int64 { return r.Status[code] }

// Stopper lets a caller end a run early (e.g. after killing the server).
type Stopper struct{ stop atomic.Bool }

// Stop makes the workers finish their current request and return.
func (s *Stopper) Stop() { s.stop.Store(true) }

// Run runs the load and returns its result. stop may be nil.
func Run(o Options, stop *Stopper) Result {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if stop == nil {
		stop = &Stopper{}
	}
	start := time.Now()
	mStart := start.Add(o.Warmup)
	mEnd := mStart.Add(o.Measure)
	workers := make([]*worker, o.Conns)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, o: &o, status: map[int]int64{}, mStart: mStart, mEnd: mEnd, stop: stop}
		workers[i] = w
		wg.Add(1)
		go func() { defer wg.Done(); w.run() }()
	}
	wg.Wait()
	res := Result{Conns: o.Conns, Status: map[int]int64{}, Elapsed: time.Since(start)}
	var h hist
	lastAnswer := mStart
	for _, w := range workers {
		res.Sent += w.sent
		res.Errors += w.errors
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
		for k, v := range w.status {
			res.Status[k] += v
		}
		res.Measured += w.measured
		res.MeasuredOK += w.measuredOK
		h.merge(&w.h)
		if w.lastInWindow.After(lastAnswer) {
			lastAnswer = w.lastInWindow
		}
	}
	res.Window = o.Measure
	if end := lastAnswer.Sub(mStart); stop.stop.Load() && end < res.Window {
		res.Window = end // stopped early: the window ended at the last answer
	}
	if res.Window > 0 {
		res.Throughput = float64(res.MeasuredOK) / res.Window.Seconds()
	}
	res.LatencyP50, res.LatencyP90, res.LatencyP99 = h.quantile(0.50), h.quantile(0.90), h.quantile(0.99)
	res.LatencyP999, res.LatencyMax = h.quantile(0.999), h.max
	return res
}

type worker struct {
	id           int
	o            *Options
	stop         *Stopper
	mStart, mEnd time.Time

	conn net.Conn
	br   *bufio.Reader
	buf  []byte

	sent, errors         int64
	firstErr             string
	status               map[int]int64
	measured, measuredOK int64
	lastInWindow         time.Time
	h                    hist
}

func (w *worker) run() {
	defer func() {
		if w.conn != nil {
			w.conn.Close()
		}
	}()
	backoff := time.Millisecond
	for n := 0; ; n++ {
		if w.stop.stop.Load() || !time.Now().Before(w.mEnd) || (w.o.MaxRequests > 0 && n >= w.o.MaxRequests) {
			return
		}
		if w.conn == nil {
			c, err := net.DialTimeout("tcp", w.o.Addr, w.o.Timeout)
			if err != nil {
				w.fail(err)
				time.Sleep(backoff) // the server is down or overloaded: do not spin
				if backoff < 100*time.Millisecond {
					backoff *= 2
				}
				continue
			}
			backoff = time.Millisecond
			w.conn = c
			w.br = bufio.NewReaderSize(c, 16<<10)
		}
		w.buf = w.o.Request(w.buf[:0], w.id, n)
		t0 := time.Now()
		w.conn.SetDeadline(t0.Add(w.o.Timeout))
		if _, err := w.conn.Write(w.buf); err != nil {
			w.fail(err)
			w.reset()
			continue
		}
		w.sent++
		code, keep, err := readResponse(w.br)
		t1 := time.Now()
		if err != nil {
			w.fail(err)
			w.reset()
			continue
		}
		w.status[code]++
		if !t0.Before(w.mStart) && !t1.After(w.mEnd) {
			w.measured++
			if code >= 200 && code < 400 {
				w.measuredOK++
			}
			w.h.add(t1.Sub(t0))
			w.lastInWindow = t1
		}
		if !keep {
			w.reset()
		}
	}
}

func (w *worker) fail(err error) {
	w.errors++
	if w.firstErr == "" {
		w.firstErr = err.Error()
	}
}

func (w *worker) reset() {
	if w.conn != nil {
		w.conn.Close()
		w.conn, w.br = nil, nil
	}
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads one HTTP/1.1 response (status line, headers, body by
// Content-Length or chunked) and reports its status and whether the
// connection may be reused.
func readResponse(br *bufio.Reader) (code int, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errMalformed
	}
	code, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	keep = true
	length, chunked := -1, false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, err = strconv.Atoi(string(v))
			if err != nil {
				return 0, false, errMalformed
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case code == 204 || code == 304 || (code >= 100 && code < 200):
	case chunked:
		for {
			sz, err := br.ReadSlice('\n')
			if err != nil {
				return 0, false, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(sz, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return 0, false, errMalformed
			}
			if _, err := br.Discard(int(n) + 2); err != nil {
				return 0, false, err
			}
			if n == 0 {
				break
			}
		}
	case length >= 0:
		if _, err := br.Discard(length); err != nil {
			return 0, false, err
		}
	default:
		if _, err := io.Copy(io.Discard, br); err != nil { // body until close
			return 0, false, err
		}
		keep = false
	}
	return code, keep, nil
}

// hist is a log-bucketed latency histogram (about 2% resolution from 1 µs
// to minutes).
type hist struct {
	counts [1200]int64
	n      int64
	max    time.Duration
}

const histBase = 1.02

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us < 1 {
		return 0
	}
	b := int(math.Log(us)/math.Log(histBase)) + 1
	if b >= len(hist{}.counts) {
		b = len(hist{}.counts) - 1
	}
	return b
}

func (h *hist) add(d time.Duration) {
	h.counts[bucketOf(d)]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	target := int64(math.Ceil(q * float64(h.n)))
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= target {
			d := time.Duration(math.Pow(histBase, float64(i)) * float64(time.Microsecond))
			if d > h.max {
				d = h.max
			}
			return d
		}
	}
	return h.max
}

// StatusSummary renders the status counts as "200:123 404:1".
func (r Result) StatusSummary() string {
	codes := make([]int, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var b bytes.Buffer
	for i, c := range codes {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d", c, r.Status[c])
	}
	return b.String()
}
