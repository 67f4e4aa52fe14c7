/**
 * @module Request counters and a recent-request log (`GET /__emulator/stats`).
 *
 * Client tests assert what a client did *not* do (e.g. "0 token calls after a bad state",
 * docs/guarantees.md), so every non-control request is counted by route pattern and the
 * last 500 are kept. Only header *names* and the authorization *scheme* are recorded: stats must
 * never hold a token or secret.
 */
export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  status: number;
  grant_type?: string;
  redirect_uri?: string;
  headers: string[];
  authorization_scheme: string | null;
  has_x_business_id: boolean;
  has_cookie: boolean;
}

export interface StatsSnapshot {
  endpoints: Record<string, number>;
  grants: Record<'authorization_code' | 'refresh_token' | 'client_credentials', number>;
  token_errors: Record<string, number>;
  revocations: number;
  refresh_reuse_detected: number;
  refresh_grace_replays: number;
  rate_limited: number;
  faults_injected: number;
  webhooks: { delivered: number; failed: number; attempts: number };
  requests: RecordedRequest[];
}

const MAX_RECORDED_REQUESTS = 500;

export class StatsRecorder {
  #snapshot: StatsSnapshot = StatsRecorder.#empty();

  static #empty(): StatsSnapshot {
    return {
      endpoints: {},
      grants: { authorization_code: 0, refresh_token: 0, client_credentials: 0 },
      token_errors: {},
      revocations: 0,
      refresh_reuse_detected: 0,
      refresh_grace_replays: 0,
      rate_limited: 0,
      faults_injected: 0,
      webhooks: { delivered: 0, failed: 0, attempts: 0 },
      requests: [],
    };
  }

  countEndpoint(key: string): void {
    this.#snapshot.endpoints[key] = (this.#snapshot.endpoints[key] ?? 0) + 1;
  }

  countGrant(grantType: keyof StatsSnapshot['grants']): void {
    this.#snapshot.grants[grantType] += 1;
  }

  countTokenError(code: string): void {
    this.#snapshot.token_errors[code] = (this.#snapshot.token_errors[code] ?? 0) + 1;
  }

  count(counter: 'revocations' | 'refresh_reuse_detected' | 'refresh_grace_replays' | 'rate_limited' | 'faults_injected'): void {
    this.#snapshot[counter] += 1;
  }

  countWebhook(outcome: 'delivered' | 'failed' | 'attempts'): void {
    this.#snapshot.webhooks[outcome] += 1;
  }

  recordRequest(entry: RecordedRequest): void {
    const requests = this.#snapshot.requests;
    requests.push(entry);
    if (requests.length > MAX_RECORDED_REQUESTS) requests.splice(0, requests.length - MAX_RECORDED_REQUESTS);
  }

  snapshot(): StatsSnapshot {
    return structuredClone(this.#snapshot);
  }

  reset(): void {
    this.#snapshot = StatsRecorder.#empty();
  }
}
