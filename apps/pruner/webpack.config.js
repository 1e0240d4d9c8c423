module.exports = require('../../tools/webpack/app-config')('pruner', [
  { entryName: 'cache', entryPath: './src/cache.ts' },
  { entryName: 'watch', entryPath: './src/watch.ts' },
  { entryName: 'image', entryPath: './src/image.ts' },
]);
