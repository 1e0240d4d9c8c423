const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/** Node 20 runs ES2022 natively; Nest's classes must stay classes (ClientProxy is extended). */
class Es2022SwcTarget {
  apply(compiler) {
    for (const rule of compiler.options.module.rules) {
      if (rule && typeof rule.loader === 'string' && rule.loader.includes('swc-loader')) {
        rule.options.jsc.target = 'es2022';
        rule.options.jsc.keepClassNames = true;
        delete rule.options.jsc.loose;
      }
    }
  }
}

/**
 * The webpack build of one app: main.js runs it as its own process, embedded.js exports
 * start() for bin/glimpse.js; node_modules stay external.
 */
module.exports = function appConfig(app, extraEntries = []) {
  return {
    output: {
      path: join(__dirname, '../../dist/apps', app),
      clean: true,
      library: { type: 'commonjs2' },
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'swc',
        main: './src/main.ts',
        additionalEntryPoints: [{ entryName: 'embedded', entryPath: './src/embedded.ts' }, ...extraEntries],
        tsConfig: './tsconfig.app.json',
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: false,
        sourceMap: true,
        typeCheck: false,
      }),
      new Es2022SwcTarget(),
    ],
  };
};
