import pino, { type DestinationStream, type Logger } from 'pino';
import { LineBatcher } from './line-batcher.ts';
import { accessLine, type AccessEntry } from './access-line.ts';

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
 * JSON logs to `destination`, or to stdout in chunks of about 16 KB written at least every half
 * second (`LineBatcher`): one write per request would cost more than the request, and a quiet
 * server's lines still appear promptly. `flushLogs` on shutdown, or the process exiting, writes
 * what is left.
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
    destination ?? bufferedStdout(),
  );
}

function bufferedStdout(): DestinationStream {
  // Synchronous writes of whole chunks: nothing is in flight when the process exits, and a
  // 16 KB write costs well under a microsecond per line.
  return new LineBatcher(pino.destination({ dest: 1, sync: true }));
}

export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/**
 * Writes the per-request access line (`accessLine`) straight to the logger's destination,
 * skipping pino's generic serialisation and redaction: safe because its fields are fixed and
 * carry no secrets.
 */
export function createAccessLog(logger: Logger): (entry: AccessEntry) => void {
  const stream = (logger as unknown as Record<symbol, { write(line: string): unknown }>)[pino.symbols.streamSym];
  return function writeAccessLine(entry) {
    if (!stream || !logger.isLevelEnabled('info')) return;
    stream.write(accessLine(entry));
  };
}
