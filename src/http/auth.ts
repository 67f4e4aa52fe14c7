/**
 * @module Authentication and authorisation, the product's way: `Authorization: Bearer dz_…` selects a
 * user, `x-business-id` selects the business. Routes declare what they need in `config.auth`.
 * Bad or missing token → 401 "Not authenticated"; not a member or role too low → 403 "Not enough permissions".
 * Runs as a global `preValidation` hook, so it answers before request validation does (as FastAPI's
 * auth dependency does).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { apiTokenId, digestsMatch } from '../auth/api-token-format.ts';
import { findApiTokenById, touchApiToken } from '../auth/api-tokens-repo.ts';
import type { Database, Role } from '../db/schema.ts';
import { getMembershipRole, roleAtLeast } from '../tenancy/tenancy-repo.ts';
import { ApiError } from './errors.ts';
import { uuidError } from './validation/pydantic-validator.ts';

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
  }
}

// last_used_at is written at most once a minute per token: a write per request would put the
// database on the hot path of every call.
const TOUCH_INTERVAL_MS = 60_000;

/** Reads the authenticated context a route declared; a programming error if the route declared none. */
export function authOf(request: FastifyRequest): AuthContext & { businessId: string; role: Role } {
  const auth = request.auth;
  if (!auth) throw new Error('route has no auth requirement');
  return auth as AuthContext & { businessId: string; role: Role };
}

export function installAuth(app: FastifyInstance, db: Kysely<Database>, now: () => number = Date.now): void {
  app.addHook('preValidation', async (request) => {
    const requirement = request.routeOptions.config?.auth;
    if (!requirement) return;
    const user = await authenticate(db, request, now());
    if (requirement.kind === 'user') {
      request.auth = user;
      return;
    }
    const businessId = singleHeader(request, 'x-business-id');
    if (businessId === undefined || uuidError(businessId) !== undefined) {
      throw new ApiError('invalid_request', 'The x-business-id header must be one business UUID');
    }
    const role = await getMembershipRole(db, businessId.toLowerCase(), user.userId);
    if (!role || !roleAtLeast(role, requirement.minRole)) throw new ApiError('not_enough_permissions');
    if (requirement.permission && !user.permissions.includes(requirement.permission)) throw new ApiError('not_enough_permissions');
    request.auth = { ...user, businessId: businessId.toLowerCase(), role };
  });
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

async function authenticate(db: Kysely<Database>, request: FastifyRequest, now: number): Promise<AuthContext> {
  const header = singleHeader(request, 'authorization');
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  const token = match?.[1];
  const id = token === undefined ? undefined : apiTokenId(token);
  if (token === undefined || id === undefined) throw new ApiError('not_authenticated');
  const row = await findApiTokenById(db, id);
  if (!row || !digestsMatch(token, row.digest) || row.revoked_at !== null || row.expires_at <= now) {
    throw new ApiError('not_authenticated');
  }
  if (row.last_used_at === null || now - row.last_used_at > TOUCH_INTERVAL_MS) {
    await touchApiToken(db, row.id, now);
  }
  return { tokenId: row.id, userId: row.user_id, permissions: JSON.parse(row.permissions) as string[] };
}
