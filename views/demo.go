package views

import "strings"

// scriptTag turns the merchant snippet (which is HTML: a script element
// loading tracking.js and an inline script) into the same HTML with a CSP
// nonce on each script element, and appends the thank-you call, if any, as
// a nonce'd script. The snippet is our own text with a server-checked
// tenant id, never user input.
func scriptTag(nonce, snippet, thankYou string) string {
	withNonce := strings.ReplaceAll(snippet, "<script", `<script nonce="`+nonce+`"`)
	if thankYou != "" {
		withNonce += "\n<script nonce=\"" + nonce + "\">\n" + thankYou + "\n</script>"
	}
	return withNonce
}
