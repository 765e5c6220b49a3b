import { Badge, Box, Inline, Spinner } from '@stripe/ui-extension-sdk/ui';
import type { Mode, Status } from '../api';
import type { OtherStatus } from '../useConnection';
import { describeLastCheck, FormatTime, modeLabel, otherMode } from './describe';

interface Props {
  mode: Mode;
  loading: boolean;
  status: Status | null;
  other: OtherStatus;
  formatTime: FormatTime;
}

/** The connection's status in this mode (with its last and next check), and the other mode's in a line. */
export const ConnectionPanel = ({ mode, loading, status, other, formatTime }: Props) => (
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
);

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

const ConnectedStatus = ({ status, formatTime }: { status: Status; formatTime: FormatTime }) => (
  <Box css={{ stack: 'y', gap: 'xsmall' }}>
    <Box>
      Connected to tenant {status.tenant_id}
      {status.token_hint ? ` with token ${status.token_hint}` : ''}.
    </Box>
    <Box>{describeLastCheck(status.last_check, formatTime)}</Box>
    <Box>Next check: {formatTime(status.next_check_at)}</Box>
  </Box>
);
