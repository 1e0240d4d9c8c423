module.exports = require('../../tools/webpack/app-config')('scrubber', [
  { entryName: 'scrub', entryPath: './src/scrub.ts' },
]);
