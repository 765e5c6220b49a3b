package tracking

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// clickBody is what the tracker posts for a click on a landing page with
// UTM tags and a referrer.
func clickBody(tenantID, code string) string {
	return fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring","referrer":"https://blog.example/post/42","cid":""}`,
		tenantID, code)
}

// BenchmarkClickDecode measures reading a click request: the capped JSON
// body decode (jsonbody.Decode) and the checks and normalisation of
// parseClick. The request is built once; only its body is renewed.
func BenchmarkClickDecode(b *testing.B) {
	h := &Handler{}
	body := clickBody("tn_0123456789abcdef", "bench-aff")
	r := httptest.NewRequest(http.MethodPost, "/tracking/click/v1", nil)
	w := httptest.NewRecorder()
	rd := strings.NewReader(body)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		r.Body = io.NopCloser(rd)
		var req clickRequest
		if err := jsonbody.Decode(w, r, maxBody, &req); err != nil {
			b.Fatal(err)
		}
		if _, err := h.parseClick(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVisitorHash measures the keyed visitor hash every click computes.
func BenchmarkVisitorHash(b *testing.B) {
	v := &visitorHasher{secret: []byte("0123456789abcdef0123456789abcdef")}
	now := time.Now()
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
	b.ReportAllocs()
	for b.Loop() {
		v.hash("203.0.113.7", ua, now)
	}
}

// BenchmarkBotCheck measures the crawler test on a browser user agent (the
// common case: it scans the whole string without a match).
func BenchmarkBotCheck(b *testing.B) {
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
	b.ReportAllocs()
	for b.Loop() {
		if isBot(ua) {
			b.Fatal("a browser is not a bot")
		}
	}
}

// BenchmarkClickHandler measures POST /tracking/click/v1 in process against
// a real database: decode, cached tenant and affiliate, and the
// group-committed batch that also resolves repeats (each request waits for
// its batch's commit, as in production). Requests run from 64 goroutines per CPU so
// batches form; every request has its own user agent, so none is a repeat.
func BenchmarkClickHandler(b *testing.B) {
	st, _ := storetest.New(b)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO tenants (id, name, website, slug) VALUES ('tn_bench', 'Bench', 'https://shop.example', 'bench')`); err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateAffiliate(ctx, tracklane.Affiliate{ID: "af_bench", TenantID: "tn_bench", Name: "Aff", Email: "aff@partners.example", Code: "bench-aff"}); err != nil {
		b.Fatal(err)
	}
	batcher := NewBatcher(st, log, 4, 256) // as cli.NewServer wires it
	defer batcher.Close()
	h, err := New(st, batcher, Config{VisitorSecret: []byte("0123456789abcdef0123456789abcdef")}, nil, log, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.ContextWithFallback = true
	h.Register(e)
	body := clickBody("tn_bench", "bench-aff")

	var seq, failed atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/tracking/click/v1", strings.NewReader(body))
			r.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			r.Header.Set("User-Agent", fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) bench/%d", seq.Add(1)))
			r.RemoteAddr = "198.51.100.9:40000"
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d clicks were not answered 200", n)
	}
	b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "clicks/s")
	var rows int64
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM clicks`).Scan(&rows); err != nil {
		b.Fatal(err)
	}
	if rows != seq.Load() {
		b.Fatalf("%d clicks acknowledged, %d rows", seq.Load(), rows)
	}
}
