import { SingleBar } from 'cli-progress';

/** A progress bar on stderr with events per second; draws nothing when stderr is not a terminal. */
export function replayProgressBar(): { update: (applied: number, total: number) => void; stop: () => void } {
  const bar = new SingleBar({
    format: 'replay |{bar}| {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}',
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 20,
  });
  const started = Date.now();
  let running = false;
  return {
    update(applied, total) {
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(applied / seconds).toLocaleString('en-US') : '-';
      if (!running) {
        bar.start(total, applied, { rate });
        running = true;
      } else {
        bar.update(applied, { rate });
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
