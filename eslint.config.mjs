import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/out-tsc', 'node_modules', 'bench', 'bin', 'scripts', 'test', 'deploy', 'tools', '**/webpack.config.js'] },
  {
    files: ['**/*.ts', '**/*.js'],
    rules: {
      // Apps never import each other (Nx forbids importing applications); libs never import apps.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', notDependOnLibsWithTags: ['type:app'] },
            { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:stores', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:config'] },
            { sourceTag: 'scope:bus', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:config', 'scope:telemetry'] },
            { sourceTag: 'scope:telemetry', onlyDependOnLibsWithTags: ['scope:config'] },
            { sourceTag: 'scope:access', onlyDependOnLibsWithTags: ['scope:contracts'] },
            { sourceTag: 'scope:http', onlyDependOnLibsWithTags: ['scope:contracts', 'scope:stores', 'scope:telemetry'] },
          ],
        },
      ],
    },
  },
];
