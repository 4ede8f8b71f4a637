// TEST ONLY: a local OpenID provider for the single sign-on browser test (web/tests/browser.rs),
// started on loopback by .ci/run. It is `oidc-provider`, the certified Node implementation, with
// its development login and consent pages (any password is accepted for the login `anne`), one
// client for Overdrag and one account whose claims carry `groups`. Never expose it.
//
//   node scripts/oidc-provider/index.mjs
//
// OVERDRAG_TEST_OIDC_PORT (default 18180) is where it listens; OVERDRAG_TEST_APP_URL (default
// http://127.0.0.1:18181) is the Overdrag the browser test starts, whose callback and login
// page are registered as the client's redirect and post-logout URIs.
import Provider from 'oidc-provider';

const port = Number(process.env.OVERDRAG_TEST_OIDC_PORT || 18180);
const app = process.env.OVERDRAG_TEST_APP_URL || 'http://127.0.0.1:18181';
const issuer = `http://127.0.0.1:${port}`;

// The one person who can log in, and what the provider says about them.
const accounts = {
  anne: {
    sub: 'anne-0001',
    email: 'anne.sekretaer@rsyd.dk',
    email_verified: true,
    name: 'Anne Sekretær',
    groups: ['syd-sekretariat', 'syd-oekonomi'],
  },
};

const configuration = {
  clients: [
    {
      client_id: 'overdrag',
      client_secret: 'test-only-overdrag-secret',
      redirect_uris: [`${app}/login/oidc/callback`],
      post_logout_redirect_uris: [`${app}/login`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // The claims go into the ID token, where Overdrag reads them.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    // Overdrag asks for openid, email and profile; the groups come with the profile.
    profile: ['name', 'groups'],
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['test-only-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return {
      accountId: id,
      async claims() {
        return { ...claims };
      },
    };
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(port, '127.0.0.1', () => {
  console.log(`test OpenID provider at ${issuer} for ${app}`);
});
