package fault

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// PGBin is where PostgreSQL 15's server programs live.
const PGBin = "/usr/lib/postgresql/15/bin"

// Cluster is a private PostgreSQL cluster, owned by the OS user postgres,
// listening on its own loopback port. Tests stop and restart it at will;
// the shared server on 5432 is never touched.
type Cluster struct {
	Port int
	dir  string // owned by postgres: data/, the socket, the log
	data string
	log  string
}

// StartCluster initdb's a cluster into a fresh temporary directory and
// starts it. It is stopped (immediately) and removed when the test ends.
// The tests run as root, so the PostgreSQL programs run as user postgres
// through runuser.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("the OS user postgres is needed to run a private cluster: %v", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	// t.TempDir's parents are private to root; postgres needs its own
	// directory it can reach.
	dir, err := os.MkdirTemp("", "tracklane-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{dir: dir, data: filepath.Join(dir, "data"), log: filepath.Join(dir, "postgres.log")}
	t.Cleanup(func() {
		c.pgctl(context.Background(), "stop", "-m", "immediate")
		if t.Failed() {
			if b, err := os.ReadFile(c.log); err == nil {
				t.Logf("private PostgreSQL log (last 4 KiB):\n%s", tail(string(b), 4096))
			}
		}
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.run(ctx, filepath.Join(PGBin, "initdb"), "-D", c.data, "-U", "postgres", "--auth=trust",
		"--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Port = freePort(t)
	c.Start(t)
	return c
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// DSN is the URL of database name on the cluster.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// options are the server's settings: its own port and socket directory,
// loopback only. fsync is off because these clusters are thrown away and
// are only ever restarted, never crashed with the machine (a restart loses
// nothing that was committed); synchronous_commit stays on.
func (c *Cluster) options() string {
	return fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", c.Port, c.dir)
}

// Start starts the (stopped) cluster and waits until it accepts
// connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.pgctl(ctx, "start", "-w", "-t", "50", "-l", c.log, "-o", c.options()); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Stop stops the cluster with the fast shutdown mode: sessions are
// terminated (clients see 57P01), open transactions roll back.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.pgctl(ctx, "stop", "-w", "-t", "50", "-m", "fast"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// Restart is `pg_ctl restart -m fast`: stop and start in one go.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := c.pgctl(ctx, "restart", "-w", "-t", "50", "-m", "fast", "-l", c.log, "-o", c.options()); err != nil {
		t.Fatalf("pg_ctl restart: %v\n%s", err, out)
	}
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) ([]byte, error) {
	return c.run(ctx, filepath.Join(PGBin, "pg_ctl"), append([]string{"-D", c.data}, args...)...)
}

// run runs a PostgreSQL program as user postgres. Its output goes to a
// file, not a pipe: the postmaster that pg_ctl leaves behind must not hold
// a pipe of ours open.
func (c *Cluster) run(ctx context.Context, prog string, args ...string) ([]byte, error) {
	f, err := os.CreateTemp("", "tracklane-pgctl-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return out, err
}
