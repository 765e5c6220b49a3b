package stripesync_test

import "github.com/tracklane/tracklane/server/account"

func accountSettingsHold(days *int) account.SettingsInput {
	return account.SettingsInput{HoldDays: days}
}
