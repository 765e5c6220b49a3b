package dashboard

// Neutralise is exported for the tests of package dashboard_test.
var Neutralise = neutralise

// ZoneNames is exported for the tests of package dashboard_test.
var ZoneNames = zoneNames
