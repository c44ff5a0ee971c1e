package main

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// subBits sets the histogram's resolution: each power of two is split into
// 2^subBits buckets, so a reported quantile is within 1/2^subBits (0.8%) of
// the true latency. A histogram keeps memory bounded however long a run is,
// where a slice of every sample would not.
const subBits = 7

const (
	subCount = 1 << subBits
	// exact is where bucketing starts: below it every nanosecond value
	// has its own bucket.
	exact = 2 * subCount
	// numBuckets covers every uint64.
	numBuckets = exact + (64-subBits-1)*subCount
)

// bucketOf returns the histogram bucket of a latency in nanoseconds.
func bucketOf(v uint64) int {
	if v < exact {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [subCount, 2*subCount)
	return exact + (e-1)*subCount + int(v>>e) - subCount
}

// bucketRange returns the smallest and largest value of bucket b.
func bucketRange(b int) (lo, hi uint64) {
	if b < exact {
		return uint64(b), uint64(b)
	}
	e := (b-exact)/subCount + 1
	sub := uint64((b-exact)%subCount + subCount)
	lo = sub << e
	return lo, lo + (1 << e) - 1
}

// series is what one endpoint saw: a latency histogram of its successful
// and failed requests alike, and its failures.
type series struct {
	buckets  []uint32
	count    uint64
	errors   uint64
	max      time.Duration
	firstErr string
}

func newSeries() *series { return &series{buckets: make([]uint32, numBuckets)} }

// observe records one request.
func (s *series) observe(d time.Duration, err error) {
	if d < 0 {
		d = 0
	}
	s.buckets[bucketOf(uint64(d))]++
	s.count++
	s.max = max(s.max, d)
	if err != nil {
		s.errors++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
	}
}

// merge adds o into s.
func (s *series) merge(o *series) {
	for i, n := range o.buckets {
		s.buckets[i] += n
	}
	s.count += o.count
	s.errors += o.errors
	s.max = max(s.max, o.max)
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

// quantile returns the latency below which a fraction q of the requests
// fell, as the middle of its bucket (the exact maximum for q = 1).
func (s *series) quantile(q float64) time.Duration {
	if s.count == 0 {
		return 0
	}
	if q >= 1 {
		return s.max
	}
	rank := uint64(q * float64(s.count))
	if rank >= s.count {
		rank = s.count - 1
	}
	var seen uint64
	for b, n := range s.buckets {
		seen += uint64(n)
		if seen > rank {
			lo, hi := bucketRange(b)
			return min(time.Duration(lo+(hi-lo)/2), s.max)
		}
	}
	return s.max
}

// recorder holds one worker's series by endpoint; a worker owns its
// recorder, so recording takes no lock.
type recorder map[string]*series

func (r recorder) observe(endpoint string, d time.Duration, err error) {
	s, ok := r[endpoint]
	if !ok {
		s = newSeries()
		r[endpoint] = s
	}
	s.observe(d, err)
}

// result is one phase's outcome.
type result struct {
	name    string
	elapsed time.Duration
	series  recorder
	rss     memStatus
}

// endpointRow is one line of the report.
type endpointRow struct {
	Endpoint   string  `json:"endpoint"`
	Requests   uint64  `json:"requests"`
	Errors     uint64  `json:"errors"`
	PerSecond  float64 `json:"per_second"`
	P50        string  `json:"p50"`
	P99        string  `json:"p99"`
	Max        string  `json:"max"`
	FirstError string  `json:"first_error,omitempty"`
}

// rows returns the report lines of r, by endpoint name.
func (r result) rows() []endpointRow {
	names := make([]string, 0, len(r.series))
	for n := range r.series {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]endpointRow, 0, len(names))
	for _, n := range names {
		s := r.series[n]
		rate := 0.0
		if r.elapsed > 0 {
			rate = float64(s.count) / r.elapsed.Seconds()
		}
		out = append(out, endpointRow{
			Endpoint: n, Requests: s.count, Errors: s.errors, PerSecond: rate,
			P50: fmtDuration(s.quantile(0.50)), P99: fmtDuration(s.quantile(0.99)), Max: fmtDuration(s.max),
			FirstError: s.firstErr,
		})
	}
	return out
}

// print writes r as a table.
func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "\n%s: %s\n", r.name, r.elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\trequests\terrors\treq/s\tp50\tp99\tmax\t")
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t\n", row.Endpoint, row.Requests, row.Errors, row.PerSecond, row.P50, row.P99, row.Max)
	}
	_ = tw.Flush()
	for _, row := range r.rows() {
		if row.FirstError != "" {
			fmt.Fprintf(w, "  first error on %s: %s\n", row.Endpoint, row.FirstError)
		}
	}
	fmt.Fprintf(w, "  process memory: %s\n", r.rss)
}

// fmtDuration prints a latency with about three significant digits.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d)
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	default:
		return sig3(d.Seconds()) + "s"
	}
}

// sig3 prints x (at least 1) with three significant digits, or as an
// integer from 100 up.
func sig3(x float64) string {
	switch {
	case x < 10:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case x < 100:
		return strconv.FormatFloat(x, 'f', 1, 64)
	default:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
}
