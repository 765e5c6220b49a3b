package dashboard

// timezones.go (zoneNames, the timezone field's list) is generated from the
// tz database's zone.tab that Debian's tzdata installs; CI checks that the
// committed file is what this produces.
//go:generate go run ./internal/gentimezones -zoneinfo /usr/share/zoneinfo -o timezones.go
