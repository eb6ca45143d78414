// A real OpenID Connect provider for the tests: panva's oidc-provider on loopback.
//
//   node provider.mjs            (configured from the environment)
//   PORT         port on 127.0.0.1
//   ISSUER       e.g. http://127.0.0.1:PORT
//   CLIENTS      JSON: [{"client_id", "client_secret", "redirect_uris": [...]}]
//   STATE_FILE   JSON the tests write and may change between sign-ins:
//                {"accounts": {"<sub>": {"email", "email_verified", "name", "given_name",
//                                        "family_name", "groups": [...]}},
//                 "id_token_audience": null}
//                id_token_audience set: ID tokens name that audience instead of the client
//                (a token meant for another application).
//
// Signing in uses the provider's own development pages (devInteractions): a login form that
// takes an account id (the sub) and any password. Consent is given in advance: a first-party
// client, as an organisation's directory does for its own applications.
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.CLIENTS || '[]');
const stateFile = process.env.STATE_FILE;

function state() {
  return JSON.parse(readFileSync(stateFile, 'utf8'));
}

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'groups'],
    groups: ['groups'],
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
  },
  cookies: { keys: ['test-cookie-key'] },
  async findAccount(ctx, id) {
    const account = state().accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        const current = state().accounts[id] || {};
        const claims = { sub: id };
        for (const key of ['email', 'email_verified', 'name', 'given_name', 'family_name', 'groups']) {
          if (current[key] !== undefined && current[key] !== null) claims[key] = current[key];
        }
        return claims;
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);

// A token for another audience, when the test asks for one: the ID token is issued as if
// the client had another client_id (signed with the provider's real key).
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueWithAudience(options = {}) {
  const audience = options.use === 'idtoken' ? state().id_token_audience : null;
  if (!audience) return issue.call(this, options);
  const { client } = this;
  this.client = new Proxy(client, {
    get(target, property) {
      if (property === 'clientId') return audience;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  try {
    return await issue.call(this, options);
  } finally {
    this.client = client;
  }
};

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
