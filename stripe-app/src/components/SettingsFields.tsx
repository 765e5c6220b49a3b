import { TextField } from '@stripe/ui-extension-sdk/ui';

interface Props {
  tenantId: string;
  onTenantId: (value: string) => void;
  token: string;
  onToken: (value: string) => void;
  /** The saved token's last characters, when one is saved. */
  tokenHint: string | null | undefined;
}

/** The settings the page saves: the Tracklane tenant and a personal token of it (never shown once saved). */
export const SettingsFields = ({ tenantId, onTenantId, token, onToken, tokenHint }: Props) => (
  <>
    <TextField
      name="tenant_id"
      label="Tenant ID"
      description="Shown in your Tracklane dashboard."
      value={tenantId}
      onChange={(e) => onTenantId(e.target.value)}
    />
    <TextField
      name="personal_token"
      type="password"
      label="Personal token"
      description={
        tokenHint
          ? `Saved token: ${tokenHint}. To save changes, enter a token again.`
          : 'A personal token of that tenant, created in Tracklane.'
      }
      autoComplete="off"
      value={token}
      onChange={(e) => onToken(e.target.value)}
    />
  </>
);
