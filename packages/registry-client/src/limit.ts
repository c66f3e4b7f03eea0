/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight. After the first failure no new item
 * starts and `onFirstError` runs (to cancel the ones in flight); the promise settles only once every
 * started call has, so no work outlives it, and rejects with that first error.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  onFirstError?: (error: unknown) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async () => {
    while (!firstError && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        if (!firstError) {
          firstError = { error };
          onFirstError?.(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (firstError) throw firstError.error;
  return results;
}
