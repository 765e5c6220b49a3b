// Package migrations exports the forward-numbered golang-migrate SQL files
// that build Tracklane's PostgreSQL schema. The server applies them on start.
package migrations

import "embed"

// FS holds the *.up.sql and *.down.sql files of this folder.
//
//go:embed *.sql
var FS embed.FS
