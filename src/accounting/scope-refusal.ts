/**
 * @module Ramp's refusal for a scope the connection lacks (403 `DEVELOPER_7100`, docs/ramp-behaviour.md#errors),
 * met by the accounting routes and jobs, as the catalogue's 409 `ramp_scope_missing` naming the scope.
 * Not Ramp failing (a 502 would say so, and a client would retry it in vain): the connection must be
 * granted the scope, which `connect-with-credentials` does not ask for unless told (README "Chart of
 * accounts up"). Every other error passes through as it is.
 */
import { ApiError } from '../core/errors.ts';
import { RampAnswerError } from '../ramp/ramp-errors.ts';

/** The scopes the accounting loop needs, named when Ramp's message does not name the one it lacks. */
const ACCOUNTING_SCOPES = 'accounting:read and accounting:write';

export function scopeRefusal(error: unknown): unknown {
  if (!(error instanceof RampAnswerError) || !error.isMissingScope) return error;
  const scope = error.ramp.missingScope ?? ACCOUNTING_SCOPES;
  return new ApiError(
    'ramp_scope_missing',
    `The Ramp connection was not granted ${scope}, which this needs (Ramp answered ${error.ramp.status}${error.ramp.rampCode ? ` ${error.ramp.rampCode}` : ''}). Allow it on the Ramp app (Ramp Dashboard → Company → Developer) and connect again asking for it (connect-with-credentials: list it in scopes)`,
    { cause: error },
  );
}

/** Runs `work`, answering a missing scope with `ramp_scope_missing`. */
export async function withScopeRefusal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw scopeRefusal(error);
  }
}
