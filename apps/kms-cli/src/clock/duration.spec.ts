import { CliError } from '../cli-error';
import { formatDuration, parseDuration } from './duration';

describe('clock durations', () => {
  it('reads days, hours, minutes and seconds, alone or combined', () => {
    expect([parseDuration('8d'), parseDuration('2h'), parseDuration('90m'), parseDuration('30s'), parseDuration('1d12h')]).toEqual([691200, 7200, 5400, 30, 129600]);
  });

  it('refuses anything else, and no time at all', () => {
    for (const text of ['', '8', 'd', '-1h', '1.5h', '2 h', '1w', '0s']) expect(() => parseDuration(text)).toThrow(CliError);
  });

  it('prints offsets compactly', () => {
    expect([formatDuration(0), formatDuration(691200 + 7200), formatDuration(5400), formatDuration(61)]).toEqual(['0s', '8d2h', '1h30m', '1m1s']);
  });
});
