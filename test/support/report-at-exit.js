// Preloaded (node --require) into a service under test: at exit, writes one line naming every package the process
// loaded, and one with the sizes of V8's heap spaces, so a test can tell what a configuration costs.
const { getHeapSpaceStatistics } = require('node:v8');

process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file);
    if (match) packages.add(match[1].replace(/\\/g, '/'));
  }
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]));
  process.stderr.write(`loaded-packages ${JSON.stringify([...packages].sort())}\nheap-spaces ${JSON.stringify(spaces)}\n`);
});
