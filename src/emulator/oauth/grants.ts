/**
 * @module The three grants of Ramp's token endpoint (docs/ramp-behaviour.md#token-endpoint).
 *
 * Each function validates one grant and mints tokens, or throws an `OAuthError` whose code is the
 * RFC 6749 §5.2 one. Only the rules differ between grants; the endpoint (`token.ts`) handles
 * transport, client authentication and the response.
 */
import type { Environment, RampApp } from '../apps.ts';
import { OAuthError, RefreshTokenNotFoundError } from '../errors.ts';
import type { Faults } from '../faults.ts';
import { parseScopeParameter, scopesOutside } from '../scopes.ts';
import type { StatsRecorder } from '../stats.ts';
import type { IssuedTokens, TokenStore } from '../tokens.ts';
import { isValidCodeVerifier, verifierMatchesChallenge } from './pkce.ts';
import { requireParam, type TokenParams } from './token-request.ts';

export interface GrantContext {
  client: RampApp;
  environment: Environment;
  params: TokenParams;
  tokens: TokenStore;
  faults: Faults;
  stats: StatsRecorder;
  now: number;
  accessTokenTtlS: number;
  clientCredentialsTtlS: number;
}

/**
 * RFC 6749 §4.1.3 plus RFC 7636 §4.6. The code is single use, expires after 10 minutes, and is bound
 * to the client, the redirect URI and (if sent) the PKCE challenge. Replaying a used code revokes
 * the tokens minted from it (§4.1.2 "SHOULD revoke … all tokens previously issued based on that
 * authorization code").
 */
export function grantAuthorizationCode(context: GrantContext): IssuedTokens {
  const { client, params, tokens, now } = context;
  const code = requireParam(params, 'code');
  const redirectUri = requireParam(params, 'redirect_uri'); // Ramp requires it (B3)
  const record = tokens.findCode(code);
  if (!record || record.environment !== context.environment) throw new OAuthError('invalid_grant', 'Authorization code is invalid');
  // Checked before consuming: another client presenting a stolen code must not burn it.
  if (record.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'Authorization code was issued to another client');
  if (record.redeemedAt !== null) {
    tokens.revokeIssuedFromCode(record);
    throw new OAuthError('invalid_grant', 'Authorization code has already been used; tokens issued from it have been revoked');
  }
  if (record.revoked) throw new OAuthError('invalid_grant', 'Authorization code was revoked');
  if (now >= record.expiresAt) throw new OAuthError('invalid_grant', 'Authorization code expired');
  if (redirectUri !== record.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  const verifier = params.code_verifier;
  if (record.codeChallenge !== null) {
    if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required for this authorization code');
    if (!isValidCodeVerifier(verifier) || !verifierMatchesChallenge(verifier, record.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match code_challenge');
    }
  } else if (verifier !== undefined) {
    // RFC 9700 §2.1.1: a verifier without a challenge signals a PKCE downgrade attempt.
    throw new OAuthError('invalid_grant', 'code_verifier sent but the authorization request had no code_challenge');
  }
  record.redeemedAt = now;
  const issued = tokens.issueTokens({
    clientId: client.clientId,
    environment: context.environment,
    businessId: record.businessId,
    scopes: record.scopes,
    accessTokenTtlS: context.accessTokenTtlS,
    // A refresh token is only useful (and only issued) when the app may use the refresh grant (seeds/001 step 6).
    withRefreshToken: client.grantTypes.includes('refresh_token'),
    now,
  });
  record.issuedAccessTokens.push(issued.accessToken);
  record.familyId = issued.familyId;
  return issued;
}

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2). Modes (fault `rotation`):
 * - `strict`: each refresh returns a new refresh token and the old one dies at once; presenting a
 *   rotated token is treated as theft and (with `reuse: family_revoke`) revokes the whole family.
 * - `grace`: a rotated token presented within `grace_s` gets the same new pair again (idempotent
 *   retry after a lost response); after that it behaves as in strict mode.
 * - `off`: the refresh token never changes.
 */
export function grantRefreshToken(context: GrantContext): IssuedTokens {
  const { client, params, tokens, faults, stats, now } = context;
  const presented = requireParam(params, 'refresh_token');
  const found = tokens.findRefreshToken(presented);
  if (!found || found.family.environment !== context.environment || found.family.clientId !== client.clientId || found.family.revoked) {
    throw new RefreshTokenNotFoundError();
  }
  const { record, family } = found;
  let scopes = family.scopes;
  if (params.scope !== undefined) {
    const requested = parseScopeParameter(params.scope);
    if (requested === null || requested.length === 0) throw new OAuthError('invalid_scope', 'Malformed scope');
    const outside = scopesOutside(requested, family.scopes);
    // §6: the new scope MUST NOT include any scope not originally granted.
    if (outside.length > 0) throw new OAuthError('invalid_scope', `Scope exceeds the original grant: ${outside.join(' ')}`);
    scopes = requested;
  }
  if (family.currentRefreshToken === presented) {
    const rotate = faults.rotation === 'strict' || faults.rotation === 'grace';
    const issued = tokens.refreshFamily(family, record, scopes, context.accessTokenTtlS, rotate, now);
    return faults.rotation === 'off_omit' ? { ...issued, refreshToken: null } : issued;
  }
  const withinGrace = faults.rotation === 'grace' && record.rotatedAt !== null && now - record.rotatedAt <= faults.grace_s * 1000;
  if (withinGrace && record.successor) {
    stats.count('refresh_grace_replays');
    return record.successor;
  }
  stats.count('refresh_reuse_detected');
  if (faults.reuse === 'family_revoke') tokens.revokeFamily(family.id, 'rotated refresh token reused');
  throw new RefreshTokenNotFoundError();
}

/**
 * RFC 6749 §4.4. Ramp requires `scope` (B3) and issues a 10-day token without a refresh token.
 * Scopes outside the app: `invalid_scope` per the docs, or — with `ungranted_scope: subset` — the
 * granted subset, as the sandbox was observed to do.
 */
export function grantClientCredentials(context: GrantContext): IssuedTokens {
  const { client, params, tokens, faults, now } = context;
  const scopeParameter = requireParam(params, 'scope');
  const requested = parseScopeParameter(scopeParameter);
  if (requested === null || requested.length === 0) throw new OAuthError('invalid_scope', 'Malformed scope');
  const outside = scopesOutside(requested, client.allowedScopes);
  let granted = requested;
  if (outside.length > 0) {
    if (faults.ungranted_scope === 'invalid_scope') throw new OAuthError('invalid_scope', `Requested scope not configured for app: ${outside.join(' ')}`);
    granted = requested.filter((scope) => !outside.includes(scope));
    if (granted.length === 0) throw new OAuthError('invalid_scope', `Requested scope not configured for app: ${outside.join(' ')}`);
  }
  return tokens.issueTokens({
    clientId: client.clientId,
    environment: context.environment,
    businessId: client.businessId,
    scopes: granted,
    accessTokenTtlS: context.clientCredentialsTtlS,
    withRefreshToken: false,
    now,
  });
}
