// Command tracklane is the Tracklane server and its provisioning commands:
// `go run ./server` serves; `go run ./server tenant create …` and friends
// provision from the command line. See package cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tracklane/tracklane/server/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx)
	stop()
	os.Exit(code)
}
