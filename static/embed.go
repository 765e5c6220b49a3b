// Package static exports the files the server serves as they are: the
// tracker script merchants load, the dashboard's stylesheet and images.
package static

import "embed"

// FS holds every file of this folder that the server serves under /static/
// (and /tracking.js). Go files are not part of it.
//
//go:embed *.js *.css *.svg
var FS embed.FS
