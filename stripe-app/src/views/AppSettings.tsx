import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Badge, Banner, Box, Button, Inline, SettingsView, Spinner, TextField } from '@stripe/ui-extension-sdk/ui';
import { ApiError, apiBaseFrom, CheckResult, LastCheck, Mode, Status, TracklaneClient } from '../api';

type Notice = { type: 'default' | 'critical'; title: string; message: string };

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The title of the banner shown on every test-mode page. */
export const TEST_MODE_TITLE = 'Test mode';

const modeLabel = (mode: Mode) => (mode === 'live' ? 'Live mode' : 'Test mode');
const otherMode = (mode: Mode): Mode => (mode === 'live' ? 'test' : 'live');

/** The other mode's connection: its status, or why it is unknown. */
type OtherStatus = { status: Status } | { error: string } | null;

/** The app's settings page: connects this Stripe account (and mode) to a Tracklane tenant. */
const AppSettings = ({ userContext, environment }: ExtensionContextValue) => {
  const apiBase = apiBaseFrom(environment.constants);
  const mode: Mode = environment.mode === 'live' ? 'live' : 'test';
  const clientFor = useCallback(
    (m: Mode) =>
      apiBase === null
        ? null
        : new TracklaneClient(apiBase, { user_id: userContext.id ?? '', account_id: userContext.account.id, mode: m }),
    [apiBase, userContext.id, userContext.account.id],
  );
  const client = useMemo(() => clientFor(mode), [clientFor, mode]);
  // The same account's connection in the other mode, shown read-only.
  const otherClient = useMemo(() => clientFor(otherMode(mode)), [clientFor, mode]);
  const formatTime = useCallback(
    (iso: string | null) => {
      if (!iso) return '—';
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return iso;
      try {
        return date.toLocaleString(userContext.locale || undefined, { dateStyle: 'medium', timeStyle: 'short' });
      } catch {
        return date.toISOString();
      }
    },
    [userContext.locale],
  );

  const [status, setStatus] = useState<Status | null>(null);
  const [loading, setLoading] = useState(true);
  const [tenantId, setTenantId] = useState('');
  const [token, setToken] = useState('');
  const [saveMessage, setSaveMessage] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [other, setOther] = useState<OtherStatus>(null);
  const [confirming, setConfirming] = useState(false);

  const showStatus = useCallback((next: Status) => {
    setStatus(next);
    if (next.tenant_id) setTenantId(next.tenant_id);
  }, []);

  // `quiet`: a refresh after an action, whose own message stays on screen.
  const loadStatus = useCallback(async (quiet = false) => {
    if (!client) return;
    try {
      showStatus(await client.status());
    } catch (err) {
      if (!quiet) setNotice({ type: 'critical', title: 'Could not load the connection status', message: messageOf(err) });
    } finally {
      setLoading(false);
    }
  }, [client, showStatus]);

  const loadOther = useCallback(async () => {
    if (!otherClient) return;
    try {
      setOther({ status: await otherClient.status() });
    } catch (err) {
      setOther({ error: messageOf(err) });
    }
  }, [otherClient]);

  useEffect(() => {
    void loadStatus().then(loadOther);
  }, [loadStatus, loadOther]);

  const save = async (values?: Record<string, string>) => {
    if (!client) return;
    const tenant = (values?.tenant_id ?? tenantId).trim();
    const personalToken = (values?.personal_token ?? token).trim();
    setNotice(null);
    if (tenant === '' || personalToken === '') {
      setSaveMessage(undefined);
      setNotice({ type: 'critical', title: 'Not saved', message: 'Enter your Tracklane tenant ID and a personal token.' });
      return;
    }
    setSaveMessage('Saving…');
    try {
      showStatus(await client.saveSettings(tenant, personalToken));
      setToken('');
      setSaveMessage('Saved');
    } catch (err) {
      setSaveMessage(undefined);
      setNotice({ type: 'critical', title: 'Not saved', message: messageOf(err) });
    }
  };

  const checkNow = async () => {
    if (!client) return;
    setNotice(null);
    setChecking(true);
    try {
      const result: CheckResult = await client.checkNow();
      setNotice({ type: 'default', title: 'Check finished', message: describeCounts(result, formatTime(result.finished_at)) });
      void loadStatus(true);
    } catch (err) {
      setNotice({ type: 'critical', title: 'Check failed', message: messageOf(err) });
      if (err instanceof ApiError && err.status === 502) void loadStatus(true);
    } finally {
      setChecking(false);
    }
  };

  const disconnect = async () => {
    if (!client) return;
    setConfirming(false);
    setNotice(null);
    setDisconnecting(true);
    try {
      setStatus(await client.disconnect());
      setSaveMessage(undefined);
      setNotice({
        type: 'default',
        title: 'Disconnected',
        message: `Tracklane no longer checks this account in ${mode} mode. Its conversions stay.`,
      });
    } catch (err) {
      setNotice({ type: 'critical', title: 'Could not disconnect', message: messageOf(err) });
    } finally {
      setDisconnecting(false);
    }
  };

  if (!client) {
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

  const notConnected = status !== null && !status.connected;

  return (
    <SettingsView onSave={save} statusMessage={saveMessage}>
      <Box css={{ stack: 'y', gap: 'large' }}>
        {mode === 'test' && (
          <Banner
            type="caution"
            title={TEST_MODE_TITLE}
            description={
              'You are in test mode: test payments make conversions with status "test" only, which count toward no ' +
              'commission. To track live payments, switch the Dashboard to live mode and save the same settings there.'
            }
          />
        )}
        {notice && (
          <Banner type={notice.type} title={notice.title} description={notice.message} onDismiss={() => setNotice(null)} />
        )}

        <Box css={{ stack: 'y', gap: 'small' }}>
          <Inline css={{ gap: 'small', alignY: 'center' }}>
            <Box css={{ font: 'heading' }}>Connection</Box>
            <Badge type={mode === 'live' ? 'positive' : 'warning'}>{modeLabel(mode)}</Badge>
          </Inline>
          {loading ? (
            <Spinner />
          ) : status === null ? (
            <Box css={{ color: 'secondary' }}>Status unknown.</Box>
          ) : status.connected ? (
            <ConnectedStatus status={status} formatTime={formatTime} />
          ) : (
            <Box css={{ color: 'secondary' }}>
              Not connected in {mode} mode. Enter your Tracklane tenant ID and a personal token, then save.
            </Box>
          )}
          <OtherModeStatus mode={otherMode(mode)} other={other} />
        </Box>

        <TextField
          name="tenant_id"
          label="Tenant ID"
          description="Shown in your Tracklane dashboard."
          value={tenantId}
          onChange={(e) => setTenantId(e.target.value)}
        />
        <TextField
          name="personal_token"
          type="password"
          label="Personal token"
          description={
            status?.token_hint
              ? `Saved token: ${status.token_hint}. To save changes, enter a token again.`
              : 'A personal token of that tenant, created in Tracklane.'
          }
          autoComplete="off"
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />

        <Inline css={{ gap: 'small' }}>
          <Button onPress={checkNow} pending={checking} disabled={checking || notConnected}>
            {checking ? 'Checking…' : 'Check now'}
          </Button>
          <Button
            type="destructive"
            onPress={() => setConfirming(true)}
            pending={disconnecting}
            disabled={disconnecting || notConnected || confirming}
          >
            Disconnect
          </Button>
        </Inline>
        {confirming && (
          <Box css={{ stack: 'y', gap: 'small' }}>
            <Box css={{ font: 'bodyEmphasized' }}>Disconnect this account in {mode} mode?</Box>
            <Box css={{ color: 'secondary' }}>
              Tracklane stops reading this account's {mode}-mode payments: new payments earn affiliates nothing until
              you save the settings again. Conversions already recorded stay.
            </Box>
            <Inline css={{ gap: 'small' }}>
              <Button type="destructive" onPress={disconnect}>
                Yes, disconnect
              </Button>
              <Button onPress={() => setConfirming(false)}>Cancel</Button>
            </Inline>
          </Box>
        )}
      </Box>
    </SettingsView>
  );
};

const OtherModeStatus = ({ mode, other }: { mode: Mode; other: OtherStatus }) => {
  if (other === null) return null;
  if ('error' in other) {
    return <Box css={{ color: 'secondary' }}>{modeLabel(mode)}: status unknown ({other.error})</Box>;
  }
  const { status } = other;
  if (status.connected) {
    const failed = status.last_check?.error ? ` Its last check failed: ${status.last_check.error}` : '';
    return (
      <Box css={{ color: 'secondary' }}>
        {modeLabel(mode)}: connected to tenant {status.tenant_id}.{failed}
      </Box>
    );
  }
  return (
    <Box css={{ color: 'secondary' }}>
      {modeLabel(mode)}: not connected.
      {mode === 'live' ? ' Live payments are not tracked until these settings are saved in live mode.' : ''}
    </Box>
  );
};

const ConnectedStatus = ({ status, formatTime }: { status: Status; formatTime: (iso: string | null) => string }) => (
  <Box css={{ stack: 'y', gap: 'xsmall' }}>
    <Box>
      Connected to tenant {status.tenant_id}
      {status.token_hint ? ` with token ${status.token_hint}` : ''}.
    </Box>
    <Box>{describeLastCheck(status.last_check, formatTime)}</Box>
    <Box>Next check: {formatTime(status.next_check_at)}</Box>
  </Box>
);

function describeCounts(counts: Pick<CheckResult, 'events_seen' | 'conversions_created' | 'conversions_updated'>, when: string) {
  return (
    `${when}: ${counts.events_seen} events seen, ` +
    `${counts.conversions_created} conversions created, ${counts.conversions_updated} updated.`
  );
}

function describeLastCheck(check: LastCheck | null, formatTime: (iso: string | null) => string): string {
  if (!check) return 'Last check: none yet.';
  const when = formatTime(check.finished_at ?? check.started_at);
  if (check.error) return `Last check failed (${when}): ${check.error}`;
  if (!check.finished_at) return `Last check: running since ${when}.`;
  return (
    'Last check ' +
    describeCounts(
      {
        events_seen: check.events_seen ?? 0,
        conversions_created: check.conversions_created ?? 0,
        conversions_updated: check.conversions_updated ?? 0,
      },
      when,
    )
  );
}

export default AppSettings;
