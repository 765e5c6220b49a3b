package tracking

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/static"
)

// script is tracking.js, read once and gzipped once.
type script struct {
	raw, gz []byte
	etag    string
}

func loadScript() (*script, error) {
	raw, err := static.FS.ReadFile("tracking.js")
	if err != nil {
		return nil, fmt.Errorf("reading tracking.js: %w", err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(raw)
	zw.Close()
	sum := sha256.Sum256(raw)
	return &script{raw: raw, gz: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`}, nil
}

// handleScript serves the tracker: cacheable for an hour (merchants never
// change the snippet, so a new version reaches every site within the hour),
// revalidated by ETag, gzipped for clients that accept it.
func (h *Handler) handleScript(c *gin.Context) {
	s := h.script
	c.Header("Content-Type", "application/javascript; charset=utf-8")
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("ETag", s.etag)
	c.Header("Vary", "Accept-Encoding")
	c.Header("Access-Control-Allow-Origin", "*")
	c.Header("X-Content-Type-Options", "nosniff")
	if match := c.GetHeader("If-None-Match"); match != "" && strings.Contains(match, s.etag) {
		c.Status(http.StatusNotModified)
		return
	}
	body := s.raw
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		body = s.gz
	}
	c.Header("Content-Length", fmt.Sprint(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method != http.MethodHead {
		c.Writer.Write(body)
	}
}
