import { main } from './main';

describe('keyledger main', () => {
  it('adds its EPIPE handler to stdout once however often it runs in one process', async () => {
    const before = process.stdout.listenerCount('error');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      for (let run = 0; run < 12; run += 1) await main(['node', 'keyledger', '--help']);
    } finally {
      write.mockRestore();
    }
    expect(process.stdout.listenerCount('error')).toBeLessThanOrEqual(before + 1);
    expect(process.stdout.listenerCount('error')).toBeGreaterThanOrEqual(1);
  });
});
