import pino, { type DestinationStream, type Logger } from 'pino';
import { LineBatcher } from './line-batcher.ts';
import { accessLine, type AccessEntry } from './access-line.ts';

/** Field names that carry secrets (header names in the cases Node and fetch write them). */
const SECRET_FIELDS = [
  'authorization', 'Authorization', 'cookie', 'Cookie', 'set-cookie', 'Set-Cookie',
  'key', 'token', 'secret', 'password', 'client_secret', 'refresh_token', 'access_token', 'id_token',
  'code_verifier', 'SAMLResponse', 'private_key',
];

/**
 * Paths that may carry secrets in a log object: a secret field at the top level, one object down
 * (`err.client_secret`, `headers.Authorization`), or in the headers one object down
 * (`req.headers.cookie`). Secrets are also kept out of log calls in the first place; this is the
 * net under that rule.
 */
export const REDACTED_PATHS = SECRET_FIELDS.flatMap((f) => {
  const k = `[${JSON.stringify(f)}]`;
  return [k, `*${k}`, `*.headers${k}`];
});

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
