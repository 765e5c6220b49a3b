package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// A zone.tab with comments, an unsorted order and a repeat gives UTC then
// the zones sorted once each, under Go's "Code generated … DO NOT EDIT."
// line (which tools use to skip generated files).
func TestRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tzdata.zi", "# version 2031x\n# ddeps backzone\nR d 1916 o - Jun 14 23s 1 S\n")
	write("zone.tab", "# tzdb timezone descriptions\n#\n"+
		"NZ\t-3652+17446\tPacific/Auckland\tNew Zealand (most areas)\n"+
		"DE\t+5230+01322\tEurope/Berlin\tmost of Germany\n"+
		"GH\t+0533-00013\tAfrica/Accra\n"+
		"\n"+
		"DE\t+5230+01322\tEurope/Berlin\n")
	out := filepath.Join(dir, "timezones.go")
	if err := run(dir, out); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got := string(src)
	header := regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)
	if !header.MatchString(got) || !strings.Contains(got, "(version 2031x)") {
		t.Errorf("no generated-code header naming the version:\n%s", got)
	}
	want := "var zoneNames = []string{\n\t\"UTC\",\n\t\"Africa/Accra\",\n\t\"Europe/Berlin\",\n\t\"Pacific/Auckland\",\n}\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("got\n%s\nwant it to end with\n%s", got, want)
	}
}

// A database that is missing or not what it should be stops the
// generator with an error that names the file, rather than writing an
// empty list.
func TestRunRefusesBadInput(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no tz database":      {},
		"no version line":     {"tzdata.zi": "R d 1916\n", "zone.tab": "GH\t+0533-00013\tAfrica/Accra\n"},
		"an empty zone.tab":   {"tzdata.zi": "# version 2031x\n", "zone.tab": "# only comments\n"},
		"a line with no zone": {"tzdata.zi": "# version 2031x\n", "zone.tab": "GH\t+0533-00013\n"},
	} {
		dir := t.TempDir()
		for f, text := range files {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(dir, "timezones.go")
		if err := run(dir, out); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: wrote %s all the same", name, out)
		}
	}
}
