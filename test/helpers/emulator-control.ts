/** @module The emulator's control plane (`/__emulator/*`) for tests. */

export interface EmulatorApp {
  client_id: string;
  client_secret: string;
  business_id: string;
  environment: 'sandbox' | 'production';
}

async function call<T>(base: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`emulator ${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export const emulatorControl = (base: string) => ({
  createApp: (spec: Record<string, unknown> = {}) => call<EmulatorApp>(base, '/__emulator/apps', spec),
  rotateSecret: (clientId: string) => call<{ client_secret: string }>(base, `/__emulator/apps/${encodeURIComponent(clientId)}/rotate-secret`, {}),
  faults: (spec: Record<string, unknown>) => call<Record<string, unknown>>(base, '/__emulator/faults', spec),
  consent: (spec: Record<string, unknown>) => call<unknown>(base, '/__emulator/consent', spec),
  stats: () => call<EmulatorStats>(base, '/__emulator/stats'),
  grants: (businessId?: string) => call<{ family_id: string; client_id: string; revoked: boolean; current_refresh_token_sha256: string }[]>(base, `/__emulator/grants${businessId ? `?business_id=${businessId}` : ''}`),
  reset: () => call<unknown>(base, '/__emulator/reset', {}),
  clock: (advanceS: number) => call<unknown>(base, '/__emulator/clock', { advance_s: advanceS }),
  revokeGrants: (spec: Record<string, unknown>) => call<unknown>(base, '/__emulator/grants/revoke', spec),
});

export interface EmulatorStats {
  endpoints: Record<string, number>;
  grants: { authorization_code: number; refresh_token: number; client_credentials: number };
  token_errors: Record<string, number>;
  revocations: number;
  refresh_reuse_detected: number;
  rate_limited: number;
  requests: { method: string; path: string; status: number; grant_type?: string; redirect_uri?: string; headers: string[]; has_x_business_id: boolean; has_cookie: boolean }[];
}
