/**
 * @module What the Ramp API client needs from the token lifecycle: a usable access token for a business,
 * and one forced refresh after Ramp rejected a token. Implemented by `TokenManager` (src/tokens).
 */

export interface RampAccess {
  readonly connectionId: string;
  readonly accessToken: string;
  /** Base of `/developer/v1/...` for the connection's environment, e.g. `https://api.ramp.com`. */
  readonly apiBaseUrl: string;
  readonly environment: 'sandbox' | 'production';
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface AccessTokenProvider {
  /**
   * A token valid for at least 5 minutes (a fifth of its lifetime if shorter than 25), refreshing first when needed.
   * Throws `ApiError('ramp_not_connected')` without a connection and `ApiError('reauthorization_required')`
   * when a person must reconnect.
   */
  getAccess(businessId: string): Promise<RampAccess>;
  /**
   * The same verdict as `getAccess` from the stored connection alone: throws `ramp_not_connected` or
   * `reauthorization_required`, and neither calls Ramp nor refreshes. For refusing work at once (a
   * sync asked for) that could only fail later for want of a token.
   */
  assertConnected(businessId: string): Promise<void>;
  /** Ramp answered 401 to `rejectedToken`: refresh once (single flight) unless that already happened, and return the current token. */
  refreshAfterUnauthorized(businessId: string, rejectedToken: string): Promise<RampAccess>;
}
