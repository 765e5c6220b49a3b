import { Box, Button, Inline } from '@stripe/ui-extension-sdk/ui';
import type { Mode } from '../api';

interface ButtonProps {
  disconnecting: boolean;
  disabled: boolean;
  onPress: () => void;
}

/** Asks to disconnect: it only opens the confirmation, which sends nothing until confirmed. */
export const DisconnectButton = ({ disconnecting, disabled, onPress }: ButtonProps) => (
  <Button type="destructive" onPress={onPress} pending={disconnecting} disabled={disconnecting || disabled}>
    Disconnect
  </Button>
);

interface ConfirmationProps {
  mode: Mode;
  onConfirm: () => void;
  onCancel: () => void;
}

/** Says what disconnecting does in this mode, then disconnects or cancels. */
export const DisconnectConfirmation = ({ mode, onConfirm, onCancel }: ConfirmationProps) => (
  <Box css={{ stack: 'y', gap: 'small' }}>
    <Box css={{ font: 'bodyEmphasized' }}>Disconnect this account in {mode} mode?</Box>
    <Box css={{ color: 'secondary' }}>
      Tracklane stops reading this account's {mode}-mode payments: new payments earn affiliates nothing until
      you save the settings again. Conversions already recorded stay.
    </Box>
    <Inline css={{ gap: 'small' }}>
      <Button type="destructive" onPress={onConfirm}>
        Yes, disconnect
      </Button>
      <Button onPress={onCancel}>Cancel</Button>
    </Inline>
  </Box>
);
