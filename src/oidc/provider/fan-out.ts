/**
 * Runs `deliver` over `items` in order, at most `limit` at once, and resolves when every item
 * is done or `waitMs` has passed, whichever comes first. Items not done by then carry on (each
 * delivery bounds its own time), so every item is still attempted; the caller's wait is what is
 * bounded, and `carryOn` is handed what still runs (resolving when the last item is done), so
 * that a shutdown can wait for it. `deliver` should not reject: a rejection counts as done and
 * is dropped.
 */
export async function boundedFanOut<T>(
  items: readonly T[],
  deliver: (item: T) => Promise<void>,
  options: { limit: number; waitMs: number; carryOn?: (rest: Promise<void>) => void },
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await deliver(items[next++] as T).catch(() => undefined);
  };
  let finished = false;
  const all = Promise.all(Array.from({ length: Math.min(options.limit, items.length) }, worker)).then(() => {
    finished = true;
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.waitMs);
    timer.unref();
  });
  try {
    await Promise.race([all, deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (!finished) options.carryOn?.(all);
}
