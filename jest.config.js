// Three tiers, each saying what is real:
//   unit        *.spec.ts beside the code, no processes, no network
//   integration test/integration, black-box HTTP against a running Glimpse (embedded and cluster,
//               the cluster on the machine's real MariaDB and NATS)
//   e2e         test/e2e, the real python-glanceclient against a running Glimpse
//   conformance test/conformance, the integration suites against the real Glance 25 of
//               ../shared/peers/glance (npm run test:glance; not part of npm test)
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@glimpse/(access|bus|config|contracts|http|stores|telemetry)$': '<rootDir>/libs/$1/src/index.ts',
  },
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
    { ...shared, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.conformance-spec.ts'] },
  ],
};
