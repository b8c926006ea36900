import { Readable } from 'node:stream';
import { FgaApiError } from '@openfga/sdk';
import { OpenFgaError } from '../errors.ts';

/**
 * Turns whatever the SDK threw into an OpenFgaError with the server's own code, message and
 * status, so the `/stores` surface answers as the server did. A server that cannot be reached
 * becomes 503 `unavailable`.
 */
export async function toOpenFgaError(err: unknown): Promise<OpenFgaError> {
  if (err instanceof OpenFgaError) return err;
  if (err instanceof FgaApiError && err.statusCode) {
    const body = await responseBody(err.responseData);
    const code = stringField(body, 'code') ?? (err as { apiErrorCode?: string }).apiErrorCode ?? codeForStatus(err.statusCode);
    const message = stringField(body, 'message') ?? err.apiErrorMessage ?? err.message;
    return new OpenFgaError(err.statusCode, code, message, { cause: err });
  }
  return new OpenFgaError(503, 'unavailable', 'The OpenFGA server could not be reached.', { cause: err });
}

/** Runs one SDK call, drops the SDK's `$response`, and maps failures. */
export async function fga<T>(call: () => Promise<T>): Promise<Omit<T, '$response'>> {
  try {
    const result = await call();
    if (result && typeof result === 'object') {
      const { $response: _ignored, ...rest } = result as T & { $response?: unknown };
      return rest as Omit<T, '$response'>;
    }
    return result as Omit<T, '$response'>;
  } catch (err) {
    throw await toOpenFgaError(err);
  }
}

/** Streamed endpoints hand back the raw body stream, also on errors: read and parse it. */
async function responseBody(data: unknown): Promise<unknown> {
  if (data instanceof Readable) {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of data) chunks.push(Buffer.from(chunk as Buffer));
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      return parsed.error && typeof parsed.error === 'object' ? { message: (parsed.error as { message?: unknown }).message } : parsed;
    } catch {
      return undefined;
    }
  }
  return data;
}

function stringField(body: unknown, key: string): string | undefined {
  if (body && typeof body === 'object' && typeof (body as Record<string, unknown>)[key] === 'string') {
    const v = (body as Record<string, string>)[key];
    return v === '' ? undefined : v;
  }
  return undefined;
}

function codeForStatus(status: number): string {
  if (status === 400) return 'validation_error';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'store_id_not_found';
  if (status === 429) return 'resource_exhausted';
  return 'internal_error';
}
