package dashboard

import (
	"github.com/tracklane/tracklane/server/pagekit"
	"github.com/tracklane/tracklane/static"
)

// AssetQuery is the cache-busting query ("?v=<hash of the static
// files>") that pages put on /static links; other page-serving packages
// (the affiliate portal) use it so their pages get the same long-cached,
// always-fresh CSS and JS.
func AssetQuery() string { return pagekit.AssetQuery(static.FS) }
