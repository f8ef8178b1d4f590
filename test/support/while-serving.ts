/**
 * Runs `during` (e.g. a CLI command working on the service's data) while `round` (requests to the service) keeps
 * repeating: at least two rounds before it starts and two after it ends, so the service was really serving
 * across it. A round that throws is recorded, not thrown, and the next round runs.
 */
export async function whileServing<T>(round: () => Promise<void>, during: () => Promise<T>): Promise<{ result: T; roundErrors: unknown[] }> {
  const roundErrors: unknown[] = [];
  let rounds = 0;
  let serving = true;
  const loop = (async () => {
    while (serving) {
      try {
        await round();
      } catch (error) {
        roundErrors.push(error);
      }
      rounds += 1;
    }
  })();
  const atLeast = async (count: number) => {
    while (rounds < count) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await atLeast(2);
  const result = await during();
  await atLeast(rounds + 2);
  serving = false;
  await loop;
  return { result, roundErrors };
}
