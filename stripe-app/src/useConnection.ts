// The settings page's state and its calls to Tracklane: this mode's
// connection (status, save, check now, disconnect) and, read-only, the same
// account's connection in the other mode.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { ApiError, apiBaseFrom, CheckResult, Mode, Status, TracklaneClient } from './api';
import { describeCounts, FormatTime, formatTimeIn, messageOf, otherMode } from './components/describe';

/** A message over the page: the outcome of an action, or why it failed. */
export type Notice = { type: 'default' | 'critical'; title: string; message: string };

/** The other mode's connection: its status, or why it is unknown. */
export type OtherStatus = { status: Status } | { error: string } | null;

/** Everything the settings page shows and can do; `configured` is false when the manifest has no API_BASE. */
export interface Connection {
  configured: boolean;
  mode: Mode;
  formatTime: FormatTime;
  status: Status | null;
  loading: boolean;
  other: OtherStatus;
  notice: Notice | null;
  dismissNotice: () => void;
  tenantId: string;
  setTenantId: (value: string) => void;
  token: string;
  setToken: (value: string) => void;
  saveMessage: string | undefined;
  checking: boolean;
  disconnecting: boolean;
  save: (values?: Record<string, string>) => Promise<void>;
  checkNow: () => Promise<void>;
  disconnect: () => Promise<void>;
}

export function useConnection({ userContext, environment }: ExtensionContextValue): Connection {
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
  const formatTime = useCallback((iso: string | null) => formatTimeIn(userContext.locale, iso), [userContext.locale]);

  const [status, setStatus] = useState<Status | null>(null);
  const [loading, setLoading] = useState(true);
  const [tenantId, setTenantId] = useState('');
  const [token, setToken] = useState('');
  const [saveMessage, setSaveMessage] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(false);
  const [disconnecting, setDisconnecting] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [other, setOther] = useState<OtherStatus>(null);

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

  return {
    configured: client !== null,
    mode,
    formatTime,
    status,
    loading,
    other,
    notice,
    dismissNotice: () => setNotice(null),
    tenantId,
    setTenantId,
    token,
    setToken,
    saveMessage,
    checking,
    disconnecting,
    save,
    checkNow,
    disconnect,
  };
}
