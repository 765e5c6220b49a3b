package securitytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	fault.Cleanup()
	os.Exit(code)
}

// formClient is one browser of a parallel burst: its own cookie jar, so its
// own pre-login cookie and CSRF token.
type formClient struct {
	base string
	c    *http.Client
	csrf string
}

func newFormClient(t *testing.T, base, page string) *formClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	fc := &formClient{base: base, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, err := fc.c.Get(base + page)
	if err != nil {
		t.Fatalf("GET %s: %v", page, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF token in %d %s", page, resp.StatusCode, body)
	}
	fc.csrf = string(m[1])
	return fc
}

func (fc *formClient) post(path string, form url.Values) (int, string, error) {
	form.Set("csrf", fc.csrf)
	resp, err := fc.c.PostForm(fc.base+path, form)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// burst sends one form per client, all released at once, and counts the
// answers by status.
func burst(t *testing.T, clients []*formClient, path string, form func(i int) url.Values) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := make(chan struct{})
	for i, fc := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			s, body, err := fc.post(path, form(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("POST %s: %v", path, err)
				return
			}
			if s == http.StatusTooManyRequests && !strings.Contains(body, "<html") {
				t.Errorf("a 429 without a readable page: %s", body)
			}
			codes[s]++
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// TestThrottlesHoldAgainstParallelRequestsOnTwoProcesses sends bursts of
// parallel log-ins and sign-ups from one address, split over two server
// processes on one database, each request with its own pre-login cookie and
// CSRF token. Counting and checking are one step in PostgreSQL, so no more
// passwords are compared, and no more tenants made, than the limits allow.
func TestThrottlesHoldAgainstParallelRequestsOnTwoProcesses(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	svc := account.Service{Store: st, BcryptCost: 4}
	if _, err := svc.CreateTenant(context.Background(), account.NewTenantInput{Name: "Parallel Shop",
		Email: "owner@parallel.example", Password: "correct horse battery", Website: "https://shop.example"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": dsn, "SECRET_KEY": "throttle-test-secret-key-0123", "TRACKING_RATE_LIMIT": "0",
		"SIGNUP": "open"} // the sign-up throttle is under test, not SIGNUP
	procs := []*fault.Process{fault.StartServer(t, "server#A", env), fault.StartServer(t, "server#B", env)}

	t.Run("login", func(t *testing.T) {
		clients := make([]*formClient, 100)
		for i := range clients {
			clients[i] = newFormClient(t, procs[i%2].URL, "/login")
		}
		codes := burst(t, clients, "/login", func(i int) url.Values {
			return url.Values{"email": {"owner@parallel.example"}, "password": {fmt.Sprintf("guess number %d", i)}}
		})
		t.Logf("100 parallel log-ins for one email from one address: %v", codes)
		if codes[http.StatusUnauthorized] > 5 || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 100 {
			t.Errorf("passwords compared: %d, want at most 5 (the per email + address limit); answers %v",
				codes[http.StatusUnauthorized], codes)
		}
	})

	t.Run("signup", func(t *testing.T) {
		clients := make([]*formClient, 30)
		for i := range clients {
			clients[i] = newFormClient(t, procs[i%2].URL, "/signup")
		}
		codes := burst(t, clients, "/signup", func(i int) url.Values {
			return url.Values{"name": {fmt.Sprintf("Shop %d", i)}, "email": {fmt.Sprintf("owner%d@burst.example", i)},
				"password": {"correct horse battery"}}
		})
		t.Logf("30 parallel sign-ups from one address: %v", codes)
		var made int
		if err := st.DB().QueryRow(`SELECT count(*) FROM users WHERE email LIKE '%@burst.example'`).Scan(&made); err != nil {
			t.Fatal(err)
		}
		if made > 10 || codes[http.StatusTooManyRequests] != 30-made {
			t.Errorf("%d tenants made from one address, want at most 10 (answers %v)", made, codes)
		}
	})
}
