// Maps the @keyledger/* aliases of tsconfig.json onto the compiled output in dist/.
const path = require('node:path');
const { register } = require('tsconfig-paths');
const dist = path.join(__dirname, '..', 'dist');
register({
  baseUrl: dist,
  paths: Object.fromEntries(
    ['domain', 'crypto', 'event-store', 'application', 'projections', 'audit'].map((lib) => [`@keyledger/${lib}`, [`libs/${lib}/src`]]),
  ),
});
