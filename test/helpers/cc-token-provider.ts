/**
 * @module An AccessTokenProvider for tests: Ramp's client-credentials grant (HTTP Basic, form body,
 * docs/ramp-behaviour.md#token-endpoint) against an emulator app per business, a cached token, and one
 * single-flight refresh after a 401. Stands in for the real TokenManager (src/tokens).
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../src/core/errors.ts';
import type { AccessTokenProvider, RampAccess } from '../../src/ramp/access-token-provider.ts';
import { RAMP_RESOURCES } from '../../src/ramp/resource-descriptors.ts';
import { DEFAULT_SYNC_CONFIG } from '../../src/connections/sync-config.ts';
import { scopesForSyncConfig } from '../../src/connections/sync-scopes.ts';

export interface EmulatorAppCredentials {
  readonly client_id: string;
  readonly client_secret: string;
  /** e.g. `${emulator.url}/sandbox` */
  readonly apiBaseUrl: string;
  readonly scopes?: readonly string[];
}

/** What connect-with-credentials asks for by default: the read scopes of the default sync configuration. */
export const DEFAULT_SYNC_SCOPES: readonly string[] = scopesForSyncConfig(DEFAULT_SYNC_CONFIG);

export const TEST_SCOPES: readonly string[] = [...new Set(RAMP_RESOURCES.map((d) => d.scope)), 'accounting:write'];

/** RFC 6749 §2.3.1: form-urlencode id and secret before base64. */
function basic(id: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

export class ClientCredentialsTokenProvider implements AccessTokenProvider {
  readonly #apps = new Map<string, EmulatorAppCredentials>();
  readonly #cache = new Map<string, RampAccess>();
  readonly #inFlight = new Map<string, Promise<RampAccess>>();
  readonly #connectionIds = new Map<string, string>();
  /** Token grants made, for assertions ("one refresh for many 401s"). */
  grants = 0;

  connect(businessId: string, app: EmulatorAppCredentials): void {
    this.#apps.set(businessId, app);
    this.#cache.delete(businessId);
    this.#connectionIds.set(businessId, randomUUID());
  }

  async getAccess(businessId: string): Promise<RampAccess> {
    return this.#cache.get(businessId) ?? this.#refresh(businessId);
  }

  /** Connected while an app is registered for the business, as a stored connection is until deleted. */
  async assertConnected(businessId: string): Promise<void> {
    if (!this.#apps.has(businessId)) throw new ApiError('ramp_not_connected');
  }

  async refreshAfterUnauthorized(businessId: string, rejectedToken: string): Promise<RampAccess> {
    const current = this.#cache.get(businessId);
    if (current && current.accessToken !== rejectedToken) return current;
    this.#cache.delete(businessId);
    return this.#refresh(businessId);
  }

  #refresh(businessId: string): Promise<RampAccess> {
    let flight = this.#inFlight.get(businessId);
    if (!flight) {
      flight = this.#grant(businessId).finally(() => this.#inFlight.delete(businessId));
      this.#inFlight.set(businessId, flight);
    }
    return flight;
  }

  async #grant(businessId: string): Promise<RampAccess> {
    const app = this.#apps.get(businessId);
    if (!app) throw new ApiError('ramp_not_connected');
    // The token endpoint shares the emulator's fault injection, so retry transient answers a little.
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${app.apiBaseUrl}/developer/v1/token`, {
        method: 'POST',
        headers: { authorization: basic(app.client_id, app.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: (app.scopes ?? TEST_SCOPES).join(' ') }).toString(),
      });
      const body = (await response.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
      if (response.ok && typeof body.access_token === 'string') {
        this.grants++;
        const access: RampAccess = {
          connectionId: this.#connectionIds.get(businessId)!,
          accessToken: body.access_token,
          apiBaseUrl: app.apiBaseUrl,
          environment: 'sandbox',
          expiresAt: Date.now() + (body.expires_in ?? 864_000) * 1000,
        };
        this.#cache.set(businessId, access);
        return access;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < 8) {
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** Math.min(attempt, 4)));
        continue;
      }
      throw new ApiError('reauthorization_required');
    }
  }
}
