/**
 * @module Authentication and authorisation, the product's way: `Authorization: Bearer dz_…` selects a
 * user, `x-business-id` selects the business. Routes declare what they need in `config.auth`.
 * Bad or missing token → 401 "Not authenticated"; not a member or role too low → 403 "Not enough permissions".
 * Runs as a global `preValidation` hook, so it answers before request validation does (as FastAPI's
 * auth dependency does).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { apiTokenId, digestsMatch } from '../auth/api-token-format.ts';
import { findApiTokenById, touchApiToken } from '../auth/api-tokens-repo.ts';
import type { Database, Role } from '../db/schema.ts';
import { getMembershipRole, roleAtLeast } from '../tenancy/tenancy-repo.ts';
import { TtlCache } from '../support/ttl-cache.ts';
import type { ApiTokensTable } from '../db/schema.ts';
import { auditDenial } from './audit-hook.ts';
import { ApiError } from '../core/errors.ts';
import type { ApiRateLimiter } from './rate-limit.ts';
import { CANONICAL_UUID, canonicalUuid, uuidError } from '../core/uuid.ts';

export type AuthRequirement =
  | { readonly kind: 'user' }
  | { readonly kind: 'business'; readonly minRole: Role; readonly permission?: string };

export interface AuthContext {
  readonly tokenId: string;
  readonly userId: string;
  readonly permissions: readonly string[];
  /** Set for business routes. */
  readonly businessId?: string;
  readonly role?: Role;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRequirement;
  }
  interface FastifyRequest {
    auth?: AuthContext;
    /** An authenticated caller refused by the route's requirement (audited, never used to serve). */
    refusedAuth?: AuthContext;
  }
  interface FastifyInstance {
    authCache: AuthCache;
  }
}

/**
 * Token rows and memberships are cached for `ttlMs` (default 1 s) so the hot path does not read them
 * on every request. A revocation or role change therefore reaches every replica within that time;
 * in the replica that made it, at once (`forgetToken`).
 */
export class AuthCache {
  readonly tokens: TtlCache<string, ApiTokensTable>;
  readonly roles: TtlCache<string, Role | null>;
  /**
   * Tokens whose digest was verified recently, keyed by the whole presented token, so the hot path
   * skips SHA-256. A Map lookup hashes the full key before comparing, so it leaks nothing usable
   * about a token's prefix (unlike a direct string comparison).
   */
  readonly verified: TtlCache<string, { row: ApiTokensTable; user: AuthContext }>;
  /** The whole answer for an (Authorization, x-business-id) pair: the hot path is one lookup. */
  readonly resolved: TtlCache<string, { row: ApiTokensTable; context: AuthContext }>;
  constructor(ttlMs: number) {
    this.tokens = new TtlCache(ttlMs);
    this.roles = new TtlCache(ttlMs);
    this.verified = new TtlCache(ttlMs);
    this.resolved = new TtlCache(ttlMs);
  }
  forgetToken(id: string): void {
    this.tokens.delete(id);
    this.verified.clear();
    this.resolved.clear();
  }
}

// last_used_at is written at most once a minute per token: a write per request would put the
// database on the hot path of every call.
const TOUCH_INTERVAL_MS = 60_000;
const TARPIT_MS = 100;
const MAX_TARPITTED = 1_000;

/** Reads the authenticated context a route declared; a programming error if the route declared none. */
export function authOf(request: FastifyRequest): AuthContext & { businessId: string; role: Role } {
  const auth = request.auth;
  if (!auth) throw new Error('route has no auth requirement');
  return auth as AuthContext & { businessId: string; role: Role };
}

export interface AuthOptions {
  readonly now?: () => number;
  readonly cacheTtlMs?: number;
  readonly limiter?: ApiRateLimiter;
}

/** The auth hook as a named plugin: later plugins (the audit log) declare it as a dependency. */
export const authPlugin = fp<AuthOptions & { db: Kysely<Database> }>(async (app, options) => installAuth(app, options.db, options), { name: 'ramp-connect-auth', fastify: '5.x' });

export function installAuth(app: FastifyInstance, db: Kysely<Database>, options: AuthOptions = {}): void {
  const now = options.now ?? Date.now;
  const cache = new AuthCache(options.cacheTtlMs ?? 1_000);
  const admission = new Admission(options.limiter, now);
  app.decorate('authCache', cache);
  // Callback style, not async, and no closure per request: on the hot path (cached token and
  // membership) the hook finishes synchronously.
  app.addHook('preValidation', (request, reply, done) => {
    const requirement = request.routeOptions.config?.auth;
    if (!requirement) return done();
    reply.header('x-request-id', request.id);
    let result: AuthContext | Promise<AuthContext>;
    try {
      result = authorize(db, cache, request, requirement, now());
    } catch (error) {
      return refuse(db, options.limiter, now, request, error as Error, done);
    }
    if (result instanceof Promise) {
      result.then(
        (auth) => admission.admit(request, auth, done),
        (error: Error) => refuse(db, options.limiter, now, request, error, done),
      );
      return;
    }
    admission.admit(request, result, done);
  });
}

/**
 * Answers an authentication or authorisation failure. A refused authenticated caller (another
 * tenant's business, a role too low) is audited first, and spends its token's budget (never the
 * business's: that would let A throttle B), so a flood of refused calls turns into 429s rather than
 * one audit row each.
 */
function refuse(db: Kysely<Database>, limiter: ApiRateLimiter | undefined, now: () => number, request: FastifyRequest, error: Error, done: (error?: Error) => void): void {
  const refused = request.refusedAuth;
  if (!(error instanceof ApiError) || error.code !== 'not_enough_permissions' || !refused) return done(error);
  const wait = limiter?.check(refused.tokenId, undefined, now()) ?? 0;
  if (wait > 0) return done(new ApiError('rate_limited', undefined, { headers: { 'retry-after': String(wait) } }));
  void auditDenial(db, request, now()).then(() => done(error));
}

/** The rate limit after authentication, with a tarpit for refusals. */
class Admission {
  #tarpitted = 0;
  constructor(
    readonly limiter: ApiRateLimiter | undefined,
    readonly now: () => number,
  ) {}

  admit(request: FastifyRequest, auth: AuthContext, done: (error?: Error) => void): void {
    const wait = this.limiter?.check(auth.tokenId, auth.businessId, this.now()) ?? 0;
    if (wait === 0) {
      request.auth = auth;
      return done();
    }
    const refusal = new ApiError('rate_limited', undefined, { headers: { 'retry-after': String(wait) } });
    // Tarpit: a client past its budget gets its 429 after a short pause, so a flood cannot turn
    // refusals into a busy loop that starves other tenants. Capped so held sockets stay bounded.
    if (this.#tarpitted >= MAX_TARPITTED) return done(refusal);
    this.#tarpitted++;
    setTimeout(() => {
      this.#tarpitted--;
      done(refusal);
    }, TARPIT_MS);
  }
}

/** Synchronous when the token row and membership are cached; a promise when the database must be read. */
function authorize(db: Kysely<Database>, cache: AuthCache, request: FastifyRequest, requirement: AuthRequirement, now: number): AuthContext | Promise<AuthContext> {
  const header = singleHeader(request, 'authorization');
  if (header !== undefined && requirement.kind === 'business') {
    const hit = cache.resolved.get(resolvedKey(request, header));
    if (hit && hit.row.revoked_at === null && hit.row.expires_at > now) {
      touchIfDue(db, hit.row, now);
      return meets(request, hit.context, requirement);
    }
  }
  const token = header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (token === undefined) throw new ApiError('not_authenticated');
  const verified = cache.verified.get(token);
  if (verified && verified.row.revoked_at === null && verified.row.expires_at > now) return afterAuthentication(db, cache, request, requirement, verified.row, verified.user, now);
  const id = apiTokenId(token);
  if (id === undefined) throw new ApiError('not_authenticated');
  const row = cache.tokens.get(id);
  if (row) return authorizeWith(db, cache, request, requirement, row, token, now);
  return findApiTokenById(db, id).then((loaded) => {
    if (!loaded) throw new ApiError('not_authenticated');
    cache.tokens.set(id, loaded);
    return authorizeWith(db, cache, request, requirement, loaded, token, now);
  });
}

function authorizeWith(
  db: Kysely<Database>,
  cache: AuthCache,
  request: FastifyRequest,
  requirement: AuthRequirement,
  row: ApiTokensTable,
  token: string,
  now: number,
): AuthContext | Promise<AuthContext> {
  if (!digestsMatch(token, row.digest) || row.revoked_at !== null || row.expires_at <= now) throw new ApiError('not_authenticated');
  const user: AuthContext = { tokenId: row.id, userId: row.user_id, permissions: JSON.parse(row.permissions) as string[] };
  cache.verified.set(token, { row, user });
  return afterAuthentication(db, cache, request, requirement, row, user, now);
}

function afterAuthentication(
  db: Kysely<Database>,
  cache: AuthCache,
  request: FastifyRequest,
  requirement: AuthRequirement,
  row: ApiTokensTable,
  user: AuthContext,
  now: number,
): AuthContext | Promise<AuthContext> {
  touchIfDue(db, row, now);
  if (requirement.kind === 'user') return user;
  const header = singleHeader(request, 'x-business-id');
  if (header === undefined || uuidError(header) !== undefined) throw new ApiError('invalid_request', 'The x-business-id header must be one business UUID');
  // One spelling per business, as the body validator gives (src/core/uuid.ts): the simple and
  // `urn:uuid:` forms it accepts must name the same business, not a 403 for one's own.
  const businessId = CANONICAL_UUID.test(header) ? header.toLowerCase() : canonicalUuid(header);
  const key = `${businessId}:${user.userId}`;
  const resolve = (role: Role | null) => {
    const context: AuthContext = role === null ? { ...user, businessId } : { ...user, businessId, role };
    cache.resolved.set(resolvedKey(request, singleHeader(request, 'authorization')!), { row, context });
    return meets(request, context, requirement);
  };
  const role = cache.roles.get(key);
  if (role !== undefined) return resolve(role);
  return getMembershipRole(db, businessId, user.userId).then((found) => {
    cache.roles.set(key, found ?? null);
    return resolve(found ?? null);
  });
}

function resolvedKey(request: FastifyRequest, authorization: string): string {
  return `${authorization}\n${String(request.headers['x-business-id'])}`;
}

/**
 * The context itself when it satisfies the route's requirement, else 403 (not a member, role too low,
 * permission missing); a refused caller's context is kept on the request for the audit row only.
 */
function meets(request: FastifyRequest, context: AuthContext, requirement: Extract<AuthRequirement, { kind: 'business' }>): AuthContext {
  const allowed = context.role !== undefined && roleAtLeast(context.role, requirement.minRole) && (!requirement.permission || context.permissions.includes(requirement.permission));
  if (allowed) return context;
  request.refusedAuth = context;
  throw new ApiError('not_enough_permissions');
}

// last_used_at is bookkeeping: written at most once a minute, and a failed write must not fail the request.
function touchIfDue(db: Kysely<Database>, row: ApiTokensTable, now: number): void {
  if (row.last_used_at !== null && now - row.last_used_at <= TOUCH_INTERVAL_MS) return;
  row.last_used_at = now;
  touchApiToken(db, row.id, now).catch(() => {});
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

