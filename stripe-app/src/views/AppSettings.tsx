import { useState } from 'react';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Banner, Box, Inline, SettingsView } from '@stripe/ui-extension-sdk/ui';
import { CheckNowButton } from '../components/CheckNowButton';
import { ConnectionPanel } from '../components/ConnectionPanel';
import { DisconnectButton, DisconnectConfirmation } from '../components/DisconnectControl';
import { SettingsFields } from '../components/SettingsFields';
import { TestModeBanner } from '../components/TestModeBanner';
import { useConnection } from '../useConnection';

/** The app's settings page: connects this Stripe account (and mode) to a Tracklane tenant. */
const AppSettings = (context: ExtensionContextValue) => {
  const c = useConnection(context);
  const [confirming, setConfirming] = useState(false);

  if (!c.configured) {
    return (
      <SettingsView>
        <Banner
          type="critical"
          title="Tracklane is not configured"
          description="The app's manifest has no API_BASE constant: set constants.API_BASE to your Tracklane server's URL."
        />
      </SettingsView>
    );
  }

  const notConnected = c.status !== null && !c.status.connected;

  return (
    <SettingsView onSave={c.save} statusMessage={c.saveMessage}>
      <Box css={{ stack: 'y', gap: 'large' }}>
        {c.mode === 'test' && <TestModeBanner />}
        {c.notice && (
          <Banner type={c.notice.type} title={c.notice.title} description={c.notice.message} onDismiss={c.dismissNotice} />
        )}

        <ConnectionPanel mode={c.mode} loading={c.loading} status={c.status} other={c.other} formatTime={c.formatTime} />

        <SettingsFields
          tenantId={c.tenantId}
          onTenantId={c.setTenantId}
          token={c.token}
          onToken={c.setToken}
          tokenHint={c.status?.token_hint}
        />

        <Inline css={{ gap: 'small' }}>
          <CheckNowButton checking={c.checking} disabled={notConnected} onPress={c.checkNow} />
          <DisconnectButton
            disconnecting={c.disconnecting}
            disabled={notConnected || confirming}
            onPress={() => setConfirming(true)}
          />
        </Inline>
        {confirming && (
          <DisconnectConfirmation
            mode={c.mode}
            onConfirm={() => {
              setConfirming(false);
              void c.disconnect();
            }}
            onCancel={() => setConfirming(false)}
          />
        )}
      </Box>
    </SettingsView>
  );
};

export default AppSettings;
