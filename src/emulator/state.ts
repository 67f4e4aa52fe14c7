/**
 * @module Everything one emulator instance remembers.
 *
 * One object owns the apps, tokens, business data, consent presets, faults, stats, rate-limit
 * windows and webhook subscriptions, so `reset()` can return to the start-up state in one place and
 * two emulators in one process never share anything.
 */
import { sleepUnlessAborted } from './abortable-sleep.ts';
import { AppRegistry, GRANT_TYPES, type RampApp } from './apps.ts';
import { EmulatorClock } from './clock.ts';
import { DEFAULT_ANCHOR_MS, DEMO_BUSINESS_NAME, DEMO_COUNTS, generateBusinessData, type SeedCounts } from './data/generate.ts';
import { BusinessStore, type BusinessData } from './data/store.ts';
import { defaultFaults, type Faults } from './faults.ts';
import { ConsentBook } from './oauth/consent.ts';
import { RollingWindowRateLimiter } from './rate-limit.ts';
import { RAMP_SCOPES } from './scopes.ts';
import { StatsRecorder } from './stats.ts';
import { TokenStore } from './tokens.ts';
import { WebhookDispatcher } from './webhooks.ts';
import { RampWebhooks } from './webhooks/hub.ts';

/** Fixed so that a restarted emulator serves the same demo business (and the same data). */
export const DEMO_BUSINESS_ID = '5f0c2a7e-9b14-4c3d-8e6a-1d2b3c4d5e6f';
export const DEFAULT_SEED = 1;
export const DEFAULT_REDIRECT_URIS: readonly string[] = ['http://127.0.0.1:8080/api/v1/ramp/callback'];

export interface ResolvedEmulatorOptions {
  /** Auth-code and refresh access-token lifetime; Ramp: 3600 s (B3). */
  accessTokenTtlS: number;
  /** Client-credentials access-token lifetime; Ramp: 864000 s = 10 days (B3). */
  clientCredentialsTtlS: number;
  defaultRedirectUris: readonly string[];
  defaultClientId: string;
  defaultClientSecret: string;
  /** The rate-limit windows' clock (ms); real time unless a test moves one by hand. */
  rateLimitClock?: () => number;
}

export class EmulatorState {
  readonly options: ResolvedEmulatorOptions;
  readonly clock = new EmulatorClock();
  readonly apps = new AppRegistry();
  readonly tokens = new TokenStore();
  readonly businesses = new BusinessStore();
  readonly consent = new ConsentBook();
  readonly stats = new StatsRecorder();
  readonly rateLimiter: RollingWindowRateLimiter;
  readonly webhooks: WebhookDispatcher;
  /** Subscriptions made through Ramp's `/developer/v1/webhooks`; every emitted event reaches them too. */
  readonly rampWebhooks: RampWebhooks;
  faults: Faults = defaultFaults();
  readonly demoBusinessId = DEMO_BUSINESS_ID;
  #defaultApp!: RampApp;
  #shutdown = new AbortController();
  /** Aborted by `releaseHangs()` (`{release_hangs: true}`): wakes the requests sleeping in a fault now. */
  #faultWake = new AbortController();

  constructor(options: ResolvedEmulatorOptions) {
    this.options = options;
    this.rateLimiter = new RollingWindowRateLimiter(options.rateLimitClock);
    this.webhooks = new WebhookDispatcher(this.stats);
    this.rampWebhooks = new RampWebhooks(() => this.clock.now());
    this.webhooks.onEmit((businessId, type, objectId, nowMs) => this.rampWebhooks.publish(businessId, type, objectId, nowMs));
    this.#seedDemoBusiness();
    this.#createDefaultApp();
  }

  get defaultApp(): RampApp {
    return this.#defaultApp;
  }

  #seedDemoBusiness(): void {
    this.seedBusiness({ businessId: DEMO_BUSINESS_ID, seed: DEFAULT_SEED, counts: { ...DEMO_COUNTS }, anchorMs: DEFAULT_ANCHOR_MS });
  }

  #createDefaultApp(): void {
    this.#defaultApp = this.apps.create(
      {
        clientId: this.options.defaultClientId,
        clientSecret: this.options.defaultClientSecret,
        name: 'ramp-connect (emulator default app)',
        grantTypes: GRANT_TYPES,
        allowedScopes: RAMP_SCOPES,
        redirectUris: this.options.defaultRedirectUris,
        environment: 'sandbox',
        businessId: DEMO_BUSINESS_ID,
      },
      this.clock.now(),
    );
  }

  /** Replaces a business's data (creating the business if unknown). */
  seedBusiness(input: { businessId: string; seed: number; counts: SeedCounts; anchorMs: number }): BusinessData {
    const data = generateBusinessData({
      ...input,
      businessName: input.businessId === DEMO_BUSINESS_ID ? DEMO_BUSINESS_NAME : undefined,
    });
    this.businesses.set(data);
    return data;
  }

  /** Creates a business with demo-sized data when a control call names one that does not exist yet. */
  ensureBusiness(businessId: string): BusinessData {
    return this.businesses.get(businessId) ?? this.seedBusiness({ businessId, seed: DEFAULT_SEED, counts: { ...DEMO_COUNTS }, anchorMs: DEFAULT_ANCHOR_MS });
  }

  /** Sleeps, but wakes early when the emulator closes so `close()` never waits on a fault. */
  sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(ms, this.#shutdown.signal);
  }


  /** A fault's sleep: ends after `ms`, at `releaseHangs()`, or when the emulator closes. */
  faultSleep(ms: number): Promise<void> {
    return sleepUnlessAborted(ms, AbortSignal.any([this.#shutdown.signal, this.#faultWake.signal]));
  }

  releaseHangs(): void {
    this.#faultWake.abort();
    this.#faultWake = new AbortController();
  }

  /** `POST /__emulator/reset`: back to the start-up state (default app and demo data only). */
  reset(): void {
    this.#shutdown.abort(); // wake requests sleeping in a fault
    this.#shutdown = new AbortController();
    this.apps.retainOnly(new Set());
    this.#createDefaultApp();
    this.businesses.retainOnly(new Set());
    this.#seedDemoBusiness();
    this.tokens.clear();
    this.consent.clear();
    this.stats.reset();
    this.rateLimiter.clear();
    this.webhooks.reset();
    this.rampWebhooks.reset();
    this.faults = defaultFaults();
    this.clock.reset();
  }

  close(): void {
    this.#shutdown.abort();
    this.webhooks.close();
    this.rampWebhooks.close();
  }
}
