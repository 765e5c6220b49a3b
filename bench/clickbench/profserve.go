package main

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/store"
)

// profserve runs the server's real wiring (cli.NewServer) the way `serve`
// does, with a CPU profile from start to SIGTERM (written to
// BENCH_CPUPROFILE) and a heap profile at the end (same name + ".heap").
// The production binary has no pprof endpoint, so the profile is taken
// here.
func profserve() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir, _ := os.Getwd()
	cfg, err := config.Load(os.Getenv, dir, logger)
	check(err)
	st, err := store.Open(ctx, cfg.DatabaseURL, logger)
	check(err)
	defer st.Close()
	srv, err := cli.NewServer(cfg, st, logger)
	check(err)
	defer srv.Close()

	path := os.Getenv("BENCH_CPUPROFILE")
	f, err := os.Create(path)
	check(err)
	check(pprof.StartCPUProfile(f))

	ln, err := net.Listen("tcp", cfg.Addr)
	check(err)
	hs := &http.Server{Handler: srv.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go hs.Serve(ln)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	pprof.StopCPUProfile()
	f.Close()
	if h, err := os.Create(path + ".heap"); err == nil {
		pprof.WriteHeapProfile(h)
		h.Close()
	}
	log.Printf("profile written to %s", path)
}
