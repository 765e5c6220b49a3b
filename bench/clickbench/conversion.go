package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// firstClick records one click and returns its id, for the conversion
// phase's requests to carry as the tracker would (from the cookie).
func firstClick(addr, clickBody string) string {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/tracking/click/v1", strings.NewReader(clickBody))
	check(err)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Bench/1.0 conversion-click")
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a struct{ CID string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &a) != nil || a.CID == "" {
		check(fmt.Errorf("click for the conversion phase: %d %s", resp.StatusCode, body))
	}
	return a.CID
}

// conversionReq builds the tracker's conversion request: a sale of 4.50
// with custom params, a distinct externalId per request (no repeat).
func conversionReq(addr, tenantID, cid string, seq *int) func([]byte, int, int) []byte {
	return func(buf []byte, w, n int) []byte {
		body := fmt.Sprintf(`{"tenantId":%q,"cid":%q,"conversionType":"sale","amount":{"value":"4.50"},"externalId":"o%d-w%d-n%d","customerId":"c%d","customParams":{"advS1":"123"}}`,
			tenantID, cid, *seq, w, n, n)
		return fmt.Appendf(buf, "POST /tracking/conversion/v1 HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Bench/1.0 v%d-w%d-n%d\r\nContent-Type: text/plain;charset=UTF-8\r\nOrigin: https://shop.example\r\nContent-Length: %d\r\n\r\n%s",
			addr, *seq, w, n, len(body), body)
	}
}
