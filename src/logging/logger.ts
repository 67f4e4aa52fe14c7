/**
 * @module pino options shared by every process. Secrets never reach a log line: header and field
 * redaction by path, request URLs logged without their query (OAuth callbacks carry `code` and `state`),
 * and bodies are never logged.
 */
import { pino, type LoggerOptions, type Logger } from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.api_token',
  '*.code_verifier',
  '*.password',
  '*.key',
  '*.keys',
];

/** The request path without the query string: `?code=…&state=…` must not be logged. */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: pathOnly(req.url), id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: (err: Error & { code?: string; statusCode?: number }) => ({ type: err.name, code: err.code, message: err.message, statusCode: err.statusCode }),
    },
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
