package config_test

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/config"
)

func TestMetricsAddr(t *testing.T) {
	base := map[string]string{"SECRET_KEY": "0123456789abcdef0123"}
	c, err := config.Load(env(base), t.TempDir(), quiet)
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("default: %q %v (metrics are off by default)", c.MetricsAddr, err)
	}
	base["METRICS_ADDR"] = "127.0.0.1:9090"
	if c, err = config.Load(env(base), t.TempDir(), quiet); err != nil || c.MetricsAddr != "127.0.0.1:9090" {
		t.Fatalf("set: %q %v", c.MetricsAddr, err)
	}
	for _, bad := range []string{"9090", "localhost", ":8080"} {
		base["METRICS_ADDR"] = bad
		if _, err := config.Load(env(base), t.TempDir(), quiet); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestPublicURLAlone(t *testing.T) {
	if u, err := config.PublicURL(env(map[string]string{"PUBLIC_URL": "https://t.example/x/"})); err != nil || u != "https://t.example/x" {
		t.Errorf("%q %v", u, err)
	}
	if u, err := config.PublicURL(env(nil)); err != nil || u != "http://localhost:8080" {
		t.Errorf("default %q %v", u, err)
	}
	if _, err := config.PublicURL(env(map[string]string{"PUBLIC_URL": "track.example"})); err == nil {
		t.Error("a relative PUBLIC_URL was accepted")
	}
}
