import { Banner } from '@stripe/ui-extension-sdk/ui';

/** The title of the banner shown on every test-mode page. */
export const TEST_MODE_TITLE = 'Test mode';

/** Says what test mode means for conversions, and where live payments are set up. */
export const TestModeBanner = () => (
  <Banner
    type="caution"
    title={TEST_MODE_TITLE}
    description={
      'You are in test mode: test payments make conversions with status "test" only, which count toward no ' +
      'commission. To track live payments, switch the Dashboard to live mode and save the same settings there.'
    }
  />
);
