package dashboard

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/static"
)

var staticServer = http.FileServer(http.FS(static.FS))

// handleStatic serves the dashboard's CSS, JS and images from the embedded
// static folder. Pages link them with ?v=<content hash>, so a versioned
// URL can be cached for a long time.
func (h *Handler) handleStatic(c *gin.Context) {
	name := strings.TrimPrefix(c.Param("filepath"), "/")
	if name == "" || strings.HasSuffix(name, "/") {
		c.AbortWithStatus(http.StatusNotFound)
		return
	}
	if c.Query("v") != "" {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=300")
	}
	req := c.Request.Clone(c.Request.Context())
	req.URL.Path = "/" + name
	staticServer.ServeHTTP(c.Writer, req)
}
