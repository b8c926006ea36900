import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths that may carry secrets anywhere they appear in a log object. Secrets are also kept out
 * of log calls in the first place; this is the net under that rule.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  'key',
  'token',
  'secret',
  'password',
  'client_secret',
  'refresh_token',
  'access_token',
];

/**
 * JSON logs to `destination`, or to stdout through a 4 KiB buffer: one write per request would
 * cost more than the request. `flushLogs` on shutdown writes what is buffered.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'portcullis' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
}

export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
