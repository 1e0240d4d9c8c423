module.exports = require('../../tools/webpack/app-config')('registry', [
  { entryName: 'migrate', entryPath: './src/migrate.ts' },
]);
