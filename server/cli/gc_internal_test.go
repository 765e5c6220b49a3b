package cli

import (
	"math"
	"runtime/debug"
	"testing"
)

// tuneGC sets GOGC=400 and a 256 MiB soft limit unless the environment
// sets them; with them set, it leaves the runtime's values alone.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GOGC %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != 256<<20 {
		t.Errorf("memory limit %d, want %d", got, 256<<20)
	}

	tuneGC(func(k string) string { return map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC %d after tuneGC with GOGC set, want it untouched (100)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d after tuneGC with GOMEMLIMIT set, want it untouched", got)
	}
}
