// Package browser runs headless Chromium through chromedp for the tests of
// other packages: New starts a fresh browser for a test, NewIsolated opens a
// tab with its own cookies and storage in it (for parallel subtests), and
// helpers read cookies, collect the page's console and exceptions, and save
// screenshots as test artifacts.
//
// Chromium is found through the environment variable CHROMIUM_PATH, else as
// /usr/bin/chromium, chromium, chromium-browser or google-chrome on the PATH.
// A missing browser fails the test: a skipped test is not a passing test.
//
// It is test support only (see package testkit).
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Timeout bounds the whole life of a browser started by New, so that a hung
// page fails the test instead of the whole test binary.
const Timeout = 2 * time.Minute

// FindChromium returns the path of the Chromium binary: CHROMIUM_PATH when
// set (it must exist), else the first of /usr/bin/chromium, chromium,
// chromium-browser and google-chrome that exists.
func FindChromium() (string, error) {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CHROMIUM_PATH=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: set CHROMIUM_PATH or install chromium (apt-get install -y chromium)")
}

// New starts headless Chromium and returns a context for chromedp.Run, cancelled via t.Cleanup. It fails the test (t.Fatal, NOT Skip) when no Chromium is found: a skipped test is not a passing test.
//
// Each call starts its own browser with a fresh temporary profile, so tests
// that call New share no cookies or storage and may run in parallel. The
// browser is started before New returns, so a browser that cannot start fails
// the test here. The context ends after Timeout at the latest.
func New(t testing.TB) context.Context {
	t.Helper()
	path, err := FindChromium()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	base, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	logf := quietLogf(t)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf))
	// Cleanups run last-in first-out: t.TempDir's removal, registered above,
	// runs after the browser is gone.
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// NewIsolated opens a tab of the browser of ctx (from New) in a new browser
// context, which has its own cookies, storage and cache, like a fresh
// profile, and returns its context for chromedp.Run. The tab and its browser
// context are closed via t.Cleanup. Opening one is much cheaper than starting
// a browser, so parallel subtests can share the browser of their parent test.
func NewIsolated(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open an isolated tab: %v", err)
	}
	return tab
}

// quietLogf logs through t only while the test runs: chromedp may report
// errors from its own goroutines after the test has ended, when t.Logf
// panics.
func quietLogf(t testing.TB) func(string, ...any) {
	var mu sync.Mutex
	done := false
	t.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
	})
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			t.Logf("chromedp: "+format, args...)
		}
	}
}

// Cookies returns the browser's cookies for the given URLs (for every URL
// the current page uses when none are given).
func Cookies(ctx context.Context, urls ...string) ([]*network.Cookie, error) {
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: urls})
	if err != nil {
		return nil, err
	}
	return res.Cookies, nil
}

// Cookie returns the cookie called name that the browser would send to url,
// or nil when there is none. It fails the test when the browser cannot be
// asked.
func Cookie(t testing.TB, ctx context.Context, url, name string) *network.Cookie {
	t.Helper()
	cookies, err := Cookies(ctx, url)
	if err != nil {
		t.Fatalf("read cookies of %s: %v", url, err)
	}
	for _, c := range cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ArtifactsDir returns the folder for test artifacts, creating it: the
// environment variable ARTIFACTS_DIR, else artifacts/ at the root of the
// repository (the folder holding go.mod above the working directory).
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir, err := artifactsDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func artifactsDir() (string, error) {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "artifacts")
	}
	return dir, os.MkdirAll(dir, 0o755)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; set ARTIFACTS_DIR")
		}
		dir = parent
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a full-page PNG of the current page as name (".png" is
// added when missing) in ArtifactsDir, and returns its path. It fails the
// test when the screenshot cannot be taken or saved.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	path, err := saveScreenshot(ctx, name)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	return path
}

// ScreenshotOnFailure saves a screenshot named after the test when the test
// has failed by the time it ends. Call it right after New.
func ScreenshotOnFailure(t testing.TB, ctx context.Context) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() || ctx.Err() != nil {
			return
		}
		path, err := saveScreenshot(ctx, t.Name())
		if err != nil {
			t.Logf("screenshot on failure: %v", err)
			return
		}
		t.Logf("screenshot of the failure: %s", path)
	})
}

func saveScreenshot(ctx context.Context, name string) (string, error) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "", err
	}
	dir, err := artifactsDir()
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(name, ".png") {
		name += ".png"
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_"))
	return path, os.WriteFile(path, png, 0o644)
}

// ConsoleLog collects what the pages of a browser write to the console, and
// their uncaught exceptions and unhandled promise rejections.
type ConsoleLog struct {
	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// Console starts collecting the console of ctx's tab, from now on until the
// test ends.
func Console(t testing.TB, ctx context.Context) *ConsoleLog {
	t.Helper()
	l := &ConsoleLog{}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.messages = append(l.messages, m)
			l.mu.Unlock()
		}
	}()
	return l
}

// Messages returns every message collected so far.
func (l *ConsoleLog) Messages() []chromedp.ConsoleMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), l.messages...)
}

// Exceptions returns the uncaught exceptions and unhandled promise
// rejections collected so far.
func (l *ConsoleLog) Exceptions() []chromedp.ConsoleMessage {
	var out []chromedp.ConsoleMessage
	for _, m := range l.Messages() {
		if m.IsException() {
			out = append(out, m)
		}
	}
	return out
}

// Dialogs answers every JavaScript dialog (confirm, alert, prompt) the
// page opens, as a person clicking OK would, and records its message: a
// form with data-confirm asks before it posts. Call it right after New.
type Dialogs struct {
	mu       sync.Mutex
	messages []string
}

// AcceptDialogs starts accepting the page's dialogs.
func AcceptDialogs(t testing.TB, ctx context.Context) *Dialogs {
	t.Helper()
	d := &Dialogs{}
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for e, err := range opening {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.messages = append(d.messages, e.Message)
			d.mu.Unlock()
			// Answered from another goroutine than the one receiving events.
			go chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
				return err
			}))
		}
	}()
	return d
}

// Messages returns the dialogs' messages so far.
func (d *Dialogs) Messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.messages...)
}
