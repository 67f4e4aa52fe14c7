/**
 * @module Authorization codes, access tokens and refresh-token families.
 *
 * A *family* is everything descended from one authorization (one code exchange): its current
 * refresh token, the refresh tokens it replaced, and the access tokens it minted. Families are what
 * rotation reuse-detection revokes (RFC 9700 §4.14.2), what a revoked refresh token takes down with
 * it (RFC 7009 §2.1), and what `GET /__emulator/grants` reports.
 * Tokens are random, opaque and prefixed `ramp_tok_` (docs/ramp-behaviour.md#hosts-and-environments).
 */
import type { Environment } from './apps.ts';
import { newRampToken, newUuid, randomToken } from './ids.ts';

export interface AuthorizationCodeRecord {
  readonly code: string;
  readonly clientId: string;
  readonly environment: Environment;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly businessId: string;
  /** S256 challenge, or null when the authorization request had no PKCE (RFC 7636 §4.3). */
  readonly codeChallenge: string | null;
  readonly expiresAt: number;
  redeemedAt: number | null;
  /** Set when the grant it belongs to was revoked before the code was used. */
  revoked: boolean;
  /** Tokens minted from this code, revoked if the code is replayed (RFC 6749 §4.1.2). */
  readonly issuedAccessTokens: string[];
  familyId: string | null;
}

export interface AccessTokenRecord {
  readonly clientId: string;
  readonly environment: Environment;
  readonly businessId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
  readonly familyId: string | null;
  revoked: boolean;
}

export interface IssuedTokens {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly expiresIn: number;
  readonly scopes: readonly string[];
}

export interface RefreshFamily {
  readonly id: string;
  readonly clientId: string;
  readonly environment: Environment;
  readonly businessId: string;
  readonly scopes: readonly string[];
  readonly createdAt: number;
  currentRefreshToken: string;
  revoked: boolean;
  revokedReason: string | null;
  rotations: number;
  readonly accessTokens: Set<string>;
}

export interface RefreshTokenRecord {
  readonly familyId: string;
  /** When this token was replaced by a newer one (null while current). */
  rotatedAt: number | null;
  /** The pair returned when it was rotated; replayed within a grace window. */
  successor: IssuedTokens | null;
}

export interface IssueTokensInput {
  clientId: string;
  environment: Environment;
  businessId: string;
  scopes: readonly string[];
  accessTokenTtlS: number;
  withRefreshToken: boolean;
  now: number;
}

/** Lifetime of an authorization code: 10 minutes (Ramp docs, B2; RFC 6749 §4.1.2). */
export const AUTHORIZATION_CODE_TTL_MS = 10 * 60 * 1000;

export class TokenStore {
  readonly #codes = new Map<string, AuthorizationCodeRecord>();
  readonly #accessTokens = new Map<string, AccessTokenRecord>();
  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly #families = new Map<string, RefreshFamily>();

  issueCode(input: Omit<AuthorizationCodeRecord, 'code' | 'expiresAt' | 'redeemedAt' | 'revoked' | 'issuedAccessTokens' | 'familyId'>, now: number): string {
    const code = randomToken(32);
    this.#codes.set(code, { ...input, code, expiresAt: now + AUTHORIZATION_CODE_TTL_MS, redeemedAt: null, revoked: false, issuedAccessTokens: [], familyId: null });
    return code;
  }

  findCode(code: string): AuthorizationCodeRecord | undefined {
    return this.#codes.get(code);
  }

  /** Mints an access token and, when asked, the first refresh token of a new family. */
  issueTokens(input: IssueTokensInput): IssuedTokens & { familyId: string | null } {
    let familyId: string | null = null;
    let refreshToken: string | null = null;
    if (input.withRefreshToken) {
      familyId = newUuid();
      refreshToken = newRampToken();
      this.#families.set(familyId, {
        id: familyId,
        clientId: input.clientId,
        environment: input.environment,
        businessId: input.businessId,
        scopes: input.scopes,
        createdAt: input.now,
        currentRefreshToken: refreshToken,
        revoked: false,
        revokedReason: null,
        rotations: 0,
        accessTokens: new Set(),
      });
      this.#refreshTokens.set(refreshToken, { familyId, rotatedAt: null, successor: null });
    }
    const accessToken = this.#mintAccessToken(input, familyId, input.scopes);
    return { accessToken, refreshToken, expiresIn: input.accessTokenTtlS, scopes: input.scopes, familyId };
  }

  #mintAccessToken(input: IssueTokensInput, familyId: string | null, scopes: readonly string[]): string {
    const accessToken = newRampToken();
    this.#accessTokens.set(accessToken, {
      clientId: input.clientId,
      environment: input.environment,
      businessId: input.businessId,
      scopes,
      expiresAt: input.now + input.accessTokenTtlS * 1000,
      familyId,
      revoked: false,
    });
    if (familyId) this.#families.get(familyId)?.accessTokens.add(accessToken);
    return accessToken;
  }

  findAccessToken(token: string): AccessTokenRecord | undefined {
    return this.#accessTokens.get(token);
  }

  findRefreshToken(token: string): { record: RefreshTokenRecord; family: RefreshFamily } | undefined {
    const record = this.#refreshTokens.get(token);
    const family = record && this.#families.get(record.familyId);
    return record && family ? { record, family } : undefined;
  }

  /**
   * Refreshes a family from its current refresh token. With `rotate` a new refresh token replaces
   * the old one (RFC 6749 §6 "MAY issue a new refresh token"); otherwise the same one is returned.
   */
  refreshFamily(family: RefreshFamily, presented: RefreshTokenRecord, scopes: readonly string[], accessTokenTtlS: number, rotate: boolean, now: number): IssuedTokens {
    const input: IssueTokensInput = {
      clientId: family.clientId,
      environment: family.environment,
      businessId: family.businessId,
      scopes,
      accessTokenTtlS,
      withRefreshToken: false,
      now,
    };
    const accessToken = this.#mintAccessToken(input, family.id, scopes);
    let refreshToken = family.currentRefreshToken;
    if (rotate) {
      refreshToken = newRampToken();
      this.#refreshTokens.set(refreshToken, { familyId: family.id, rotatedAt: null, successor: null });
      family.currentRefreshToken = refreshToken;
      family.rotations += 1;
    }
    const issued: IssuedTokens = { accessToken, refreshToken, expiresIn: accessTokenTtlS, scopes };
    if (rotate) {
      presented.rotatedAt = now;
      presented.successor = issued;
    }
    return issued;
  }

  revokeFamily(familyId: string, reason: string): void {
    const family = this.#families.get(familyId);
    if (!family || family.revoked) return;
    family.revoked = true;
    family.revokedReason = reason;
    for (const accessToken of family.accessTokens) {
      const record = this.#accessTokens.get(accessToken);
      if (record) record.revoked = true;
    }
  }

  revokeAccessToken(token: string): void {
    const record = this.#accessTokens.get(token);
    if (record) record.revoked = true;
  }

  /** Revokes everything minted from a replayed authorization code (RFC 6749 §4.1.2). */
  revokeIssuedFromCode(code: AuthorizationCodeRecord): void {
    for (const accessToken of code.issuedAccessTokens) this.revokeAccessToken(accessToken);
    if (code.familyId) this.revokeFamily(code.familyId, 'authorization code replayed');
  }

  /** Revokes every token matching the filter; returns how many families were revoked. */
  revokeWhere(filter: { clientId?: string | undefined; businessId?: string | undefined; familyId?: string | undefined }, reason: string): number {
    const matches = (record: { clientId: string; businessId: string; familyId?: string | null; id?: string }): boolean =>
      (filter.clientId === undefined || record.clientId === filter.clientId) &&
      (filter.businessId === undefined || record.businessId === filter.businessId) &&
      (filter.familyId === undefined || (record.id ?? record.familyId) === filter.familyId);
    let revokedFamilies = 0;
    for (const family of this.#families.values()) {
      if (!family.revoked && matches(family)) {
        this.revokeFamily(family.id, reason);
        revokedFamilies += 1;
      }
    }
    for (const record of this.#accessTokens.values()) if (matches(record)) record.revoked = true;
    for (const code of this.#codes.values()) {
      // An outstanding code of a revoked grant must not mint tokens afterwards.
      if (matches({ clientId: code.clientId, businessId: code.businessId, familyId: code.familyId })) code.revoked = true;
    }
    return revokedFamilies;
  }

  families(): RefreshFamily[] {
    return [...this.#families.values()];
  }

  clear(): void {
    this.#codes.clear();
    this.#accessTokens.clear();
    this.#refreshTokens.clear();
    this.#families.clear();
  }
}
