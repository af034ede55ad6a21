/**
 * The import rules of docs/architecture.md ("Layers"), checked by `npm run lint` (dependency-cruiser).
 * dependency-cruiser rather than eslint's no-restricted-imports: the cycle check needs the whole import graph,
 * which a per-file lint rule cannot see, and one tool keeps both kinds of rule in one file. Type-only imports
 * count (tsPreCompilationDeps): a type cycle is still two files that cannot be read one without the other,
 * and a core file that names a store's type has started to depend on it.
 */

// The pure core: no network, no Redis, no files; it imports only itself.
const CORE = '^src/(trace|features|detectors|explain|scoring|traffic|incidents|sampling)/';
// I/O around the core, and the wiring and commands that build and start it.
const EDGES = '^src/(registry|sources|store|webhooks|jobs|api|observability)/';
const WIRING = '^src/(app|cli)/|^src/config[.]ts$';

export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: every file can be read after the files it imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment:
        'The core (trace, features, detectors, explain, scoring, traffic, incidents, sampling) is pure: it never ' +
        'imports readers, the simulator, evaluation, stores, jobs, the API, the wiring or the CLI.',
      from: { path: CORE },
      to: { path: '^src/', pathNot: CORE },
    },
    {
      name: 'core-does-no-io',
      severity: 'error',
      comment:
        'The core takes its inputs as arguments: no file system, network, Redis, queues or HTTP server.',
      from: { path: CORE },
      to: {
        path: [
          '^(node:)?(fs|fs/promises|net|tls|dgram|http|https|http2|child_process|cluster|worker_threads|readline)$',
          '^node_modules/(ioredis|bullmq|fastify|@fastify/[^/]+|undici|prom-client|@grpc/[^/]+)/',
        ],
      },
    },
    {
      name: 'formats-import-only-trace',
      severity: 'error',
      comment:
        'Readers and writers of wire formats turn bytes into Traces and back: they know only src/trace.',
      from: { path: '^src/formats/' },
      to: { path: '^src/', pathNot: '^src/(formats|trace)/' },
    },
    {
      name: 'offline-tools-skip-the-service',
      severity: 'error',
      comment:
        "The simulator and the evaluation use the core and the readers, never the service's edges, so that " +
        'an evaluation measures the core the CLI and the service share, not the wiring.',
      from: { path: '^src/(sim|eval)/' },
      to: { path: [EDGES, WIRING] },
    },
    {
      name: 'edges-never-import-tools',
      severity: 'error',
      comment: 'The running service does not depend on the simulator or the evaluation.',
      from: { path: [EDGES, WIRING], pathNot: '^src/cli/' },
      to: { path: '^src/(sim|eval)/' },
    },
    {
      name: 'stores-and-clients-never-up',
      severity: 'error',
      comment:
        'Repositories, the model registry, source clients and webhook delivery sit below jobs and the API.',
      from: { path: '^src/(registry|sources|store|webhooks|observability)/' },
      to: { path: '^src/(jobs|api)/' },
    },
    {
      name: 'jobs-never-import-api',
      severity: 'error',
      comment:
        'Jobs and the API are siblings over the stores; the wiring hands the API what it needs of the queues.',
      from: { path: '^src/jobs/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'api-never-imports-jobs',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/jobs/' },
    },
    {
      name: 'only-cli-imports-the-wiring',
      severity: 'error',
      comment:
        'The wiring and the configuration are started by `tracehound serve`; nothing below them reaches up.',
      from: { path: '^src/', pathNot: WIRING },
      to: { path: WIRING },
    },
    {
      name: 'nothing-imports-the-cli',
      severity: 'error',
      comment: 'Commands are the top: the wiring and the configuration never depend on one.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve `./x.js` to `./x.ts` as TypeScript's NodeNext resolution does.
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
};
