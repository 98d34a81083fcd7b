/**
 * The --jobs parallelism: `workers` workers take submissions from one queue, worker w on server w mod `servers`, so
 * the servers share the work. Nothing new starts once `signal` aborts.
 */
export async function runQueue<T>(
  items: readonly T[],
  { workers, servers, signal }: { workers: number; servers: number; signal?: AbortSignal },
  work: (item: T, server: number) => Promise<void>,
): Promise<T[]> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const server = servers > 0 ? w % servers : 0;
      while (!signal?.aborted && queue.length > 0) await work(queue.shift()!, server);
    }),
  );
  // What was never started.
  return queue;
}
