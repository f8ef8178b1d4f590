/** Settles every promise and splits the outcomes, so a test can assert how many of a race won. */
export async function race<T>(attempts: Array<Promise<T>>): Promise<{ won: T[]; lost: unknown[] }> {
  const settled = await Promise.allSettled(attempts);
  return {
    won: settled.filter((s): s is PromiseFulfilledResult<Awaited<T>> => s.status === 'fulfilled').map((s) => s.value),
    lost: settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason),
  };
}
