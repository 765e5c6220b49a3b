package dashboard

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// A sign-up with a taken email is logged as what happens: nothing is
// created and nothing is mailed (SPEC §7 has no such mail). The line
// used to promise a mail "once mail exists" long after mail existed.
func TestTakenSignupLogLineSaysWhatHappens(t *testing.T) {
	var buf bytes.Buffer
	h := &Handler{log: slog.New(slog.NewTextHandler(&buf, nil))}
	h.notifyOwnerOfSignup(context.Background(), " Owner@Acme.Example ")
	line := buf.String()
	if !strings.Contains(line, "nothing created") || !strings.Contains(line, "no mail sent") || strings.Contains(line, "once mail exists") {
		t.Errorf("log line %q", line)
	}
	if !strings.Contains(line, "email=owner@acme.example") {
		t.Errorf("the line does not name the folded email: %q", line)
	}
}
