import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation's cap: two semi-spaces of this size (V8's default grows them to 16 MiB each). */
export const MAX_SEMI_SPACE_MIB = 4;
/** The old generation may grow by this much over what survived the last full GC before the next one. */
export const HEAP_GROWING_PERCENT = 25;

/**
 * Keeps the service's V8 heap small (issue 10: peak RSS under load at most 150 MiB). Node takes heap sizes only as
 * command-line flags, and the service is started as `node bin/keyledger-api.js`; so its entry point calls this
 * first, and it sets the two V8 settings that V8 reads while running:
 * - `--heap-growing-percent`: by default the old generation may grow to up to 4x what survived the last full GC
 *   (~30 MiB live became 100+ MiB of heap under load, nearly all garbage);
 * - `--semi-space-growth-factor`: 1 (no growth) through the synchronous loading of the modules, which alone would
 *   grow the young generation to 2 x 16 MiB; afterwards 2 while it is below 2 x MAX_SEMI_SPACE_MIB and 1 at the cap,
 *   checked after every GC.
 * A node flag for the same setting (command line or NODE_OPTIONS) wins: that part is left alone.
 */
export function limitHeapGrowth(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ');
  if (!/--heap[-_]growing[-_]percent/.test(given)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  if (/--(max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/.test(given)) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  setImmediate(() => {
    let growing = false;
    const allowGrowthBelowCap = (): void => {
      const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      const below = (young?.space_size ?? 0) < 2 * MAX_SEMI_SPACE_MIB * 1024 * 1024;
      if (below !== growing) setFlagsFromString(`--semi-space-growth-factor=${below ? 2 : 1}`);
      growing = below;
    };
    allowGrowthBelowCap();
    new PerformanceObserver(allowGrowthBelowCap).observe({ entryTypes: ['gc'] });
  });
}
