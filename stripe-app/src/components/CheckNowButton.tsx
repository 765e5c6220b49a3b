import { Button } from '@stripe/ui-extension-sdk/ui';

interface Props {
  checking: boolean;
  disabled: boolean;
  onPress: () => void;
}

/** Runs a check of the account's Stripe events now; pending while it runs. */
export const CheckNowButton = ({ checking, disabled, onPress }: Props) => (
  <Button onPress={onPress} pending={checking} disabled={checking || disabled}>
    {checking ? 'Checking…' : 'Check now'}
  </Button>
);
