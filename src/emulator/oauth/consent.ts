/**
 * @module Consent decisions for `/v1/authorize`.
 *
 * Tests preset the answer of the next authorization (`POST /__emulator/consent`); browsers get the
 * HTML consent page instead, whose form carries a single-use request id pointing at the validated
 * authorization request kept here.
 */
import type { Environment } from '../apps.ts';
import { randomToken } from '../ids.ts';

export type ConsentDecision = 'approve' | 'deny';
export type ConsentRole = 'admin' | 'owner' | 'member';

export interface PresetConsent {
  decision: ConsentDecision;
  role: ConsentRole;
  businessId: string | null;
  /** Sticky decisions answer every authorization until cleared; others answer exactly one. */
  sticky: boolean;
}

/** An authorization request that passed validation and waits for the person's decision. */
export interface ValidatedAuthorizationRequest {
  clientId: string;
  environment: Environment;
  redirectUri: string;
  scopes: string[];
  state: string | null;
  codeChallenge: string | null;
}

/** Pending consent pages expire like the code they would produce (10 min). */
const PENDING_TTL_MS = 10 * 60 * 1000;

export class ConsentBook {
  #preset: PresetConsent | null = null;
  readonly #pending = new Map<string, { request: ValidatedAuthorizationRequest; expiresAt: number }>();

  preset(consent: PresetConsent): void {
    this.#preset = consent;
  }

  current(): PresetConsent | null {
    return this.#preset;
  }

  /** Returns the preset decision for this authorization, consuming it unless sticky. */
  take(): PresetConsent | null {
    const preset = this.#preset;
    if (preset && !preset.sticky) this.#preset = null;
    return preset;
  }

  hold(request: ValidatedAuthorizationRequest, now: number): string {
    for (const [id, entry] of this.#pending) if (entry.expiresAt <= now) this.#pending.delete(id);
    const id = randomToken(24);
    this.#pending.set(id, { request, expiresAt: now + PENDING_TTL_MS });
    return id;
  }

  /** Single use: the entry is removed whether or not it is still valid. */
  release(id: string, now: number): ValidatedAuthorizationRequest | undefined {
    const entry = this.#pending.get(id);
    this.#pending.delete(id);
    return entry && entry.expiresAt > now ? entry.request : undefined;
  }

  clear(): void {
    this.#preset = null;
    this.#pending.clear();
  }
}
