/**
 * @module Registered OAuth apps (clients) of the emulated Ramp.
 *
 * An app belongs to one environment: "Apps created here only work in this environment"
 * (docs/ramp-behaviour.md#hosts-and-environments). It also belongs to one business, whose data client-credentials
 * tokens read; authorization-code tokens read the consenting business instead.
 */
import { ControlError } from './errors.ts';
import { newClientId, newClientSecret, safeEqual } from './ids.ts';

export type Environment = 'sandbox' | 'production';
export const ENVIRONMENTS: readonly Environment[] = ['production', 'sandbox'];

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';
export const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];

export interface RampApp {
  readonly clientId: string;
  clientSecret: string;
  readonly name: string;
  readonly grantTypes: readonly GrantType[];
  readonly allowedScopes: readonly string[];
  /** Compared as exact strings (RFC 6749 §3.1.2.3, RFC 9700 §2.1). */
  readonly redirectUris: readonly string[];
  readonly environment: Environment;
  readonly businessId: string;
  /** Per-app access-token lifetime for code/refresh grants ("configurable per app", B3). */
  readonly accessTokenTtlS: number | undefined;
  readonly createdAt: number;
}

export interface NewAppInput {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  name?: string | undefined;
  grantTypes: readonly GrantType[];
  allowedScopes: readonly string[];
  redirectUris: readonly string[];
  environment: Environment;
  businessId: string;
  accessTokenTtlS?: number | undefined;
}

/** Public description of an app: never includes the secret. */
export interface AppDescription {
  client_id: string;
  name: string;
  grant_types: GrantType[];
  allowed_scopes: string[];
  redirect_uris: string[];
  environment: Environment;
  business_id: string;
  access_token_ttl_s: number | null;
}

export class AppRegistry {
  readonly #apps = new Map<string, RampApp>();

  create(input: NewAppInput, now: number): RampApp {
    const clientId = input.clientId ?? newClientId();
    if (this.#apps.has(clientId)) throw new ControlError(409, `An app with client_id ${JSON.stringify(clientId)} already exists`);
    const app: RampApp = {
      clientId,
      clientSecret: input.clientSecret ?? newClientSecret(),
      name: input.name ?? 'Emulator app',
      grantTypes: Object.freeze([...input.grantTypes]),
      allowedScopes: Object.freeze([...input.allowedScopes]),
      redirectUris: Object.freeze([...input.redirectUris]),
      environment: input.environment,
      businessId: input.businessId,
      accessTokenTtlS: input.accessTokenTtlS,
      createdAt: now,
    };
    this.#apps.set(clientId, app);
    return app;
  }

  get(clientId: string): RampApp | undefined {
    return this.#apps.get(clientId);
  }

  /** An app only exists for requests made under its own environment's prefix. */
  findInEnvironment(clientId: string, environment: Environment): RampApp | undefined {
    const app = this.#apps.get(clientId);
    return app?.environment === environment ? app : undefined;
  }

  /** Authenticates a client (RFC 6749 §2.3.1) in constant time with respect to the secret. */
  authenticate(clientId: string, clientSecret: string, environment: Environment): RampApp | undefined {
    const app = this.findInEnvironment(clientId, environment);
    if (!app) {
      safeEqual(clientSecret, clientSecret); // same work either way
      return undefined;
    }
    return safeEqual(app.clientSecret, clientSecret) ? app : undefined;
  }

  rotateSecret(clientId: string, newSecret?: string): RampApp {
    const app = this.#apps.get(clientId);
    if (!app) throw new ControlError(404, `Unknown client_id ${JSON.stringify(clientId)}`);
    app.clientSecret = newSecret ?? newClientSecret();
    return app;
  }

  list(): RampApp[] {
    return [...this.#apps.values()];
  }

  /** Drops every app except those listed (used by `POST /__emulator/reset`). */
  retainOnly(clientIds: ReadonlySet<string>): void {
    for (const clientId of this.#apps.keys()) if (!clientIds.has(clientId)) this.#apps.delete(clientId);
  }
}

export function describeApp(app: RampApp): AppDescription {
  return {
    client_id: app.clientId,
    name: app.name,
    grant_types: [...app.grantTypes],
    allowed_scopes: [...app.allowedScopes],
    redirect_uris: [...app.redirectUris],
    environment: app.environment,
    business_id: app.businessId,
    access_token_ttl_s: app.accessTokenTtlS ?? null,
  };
}

/** Path prefix an environment's routes are mounted under (production at the root). */
export function environmentPrefix(environment: Environment): string {
  return environment === 'sandbox' ? '/sandbox' : '';
}
