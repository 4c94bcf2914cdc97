// The modules whose mutation score we hold a floor on (docs/testing.md): the engine's decision-making
// code, the SDK's idempotency cache and the CLI's argument handling. Each names the files Stryker
// mutates and the test files that exercise them; `floor` is the score recorded in docs/testing.md,
// `break` is Stryker's thresholds.break (just under the floor, so a change that lowers it fails).
export const MODULES = [
  {
    name: 'plan-validation',
    mutate: ['packages/engine/src/orchestration/plan-validator.ts', 'packages/engine/src/orchestration/references.ts'],
    tests: ['packages/engine/src/orchestration/plan-validator.test.ts', 'packages/engine/src/orchestration/references.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 97,
  },
  {
    name: 'compensation-planning',
    mutate: ['packages/engine/src/compensation/compensation-planner.ts'],
    tests: ['packages/engine/src/compensation/compensation-planner.test.ts', 'packages/engine/test/compensation.int.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 94,
  },
  {
    name: 'failed-compensations',
    mutate: ['packages/engine/src/compensation/failed-compensation-service.ts', 'packages/engine/src/compensation/failed-compensation-view.ts'],
    tests: ['packages/engine/test/compensation.int.test.ts', 'packages/engine/test/docs-compensation.int.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 99,
  },
  {
    name: 'retry-schedules',
    mutate: ['packages/engine/src/webhooks/retry-schedule.ts', 'packages/engine/src/orchestration/backoff.ts', 'packages/sdk/src/backoff.ts'],
    tests: [
      'packages/engine/src/webhooks/retry-schedule.test.ts',
      'packages/engine/src/orchestration/backoff.test.ts',
      'packages/sdk/src/backoff.test.ts',
    ],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 96,
  },
  {
    name: 'ssrf-policy',
    mutate: ['packages/engine/src/webhooks/ssrf-policy.ts'],
    tests: ['packages/engine/src/webhooks/ssrf-policy.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 94,
  },
  {
    name: 'webhook-signing',
    mutate: ['packages/engine/src/webhooks/webhook-signer.ts', 'packages/engine/src/webhooks/webhook-headers.ts'],
    tests: ['packages/engine/src/webhooks/webhook-signer.test.ts', 'packages/engine/src/webhooks/webhook-sender.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 91,
  },
  {
    name: 'attempt-outcome',
    mutate: ['packages/engine/src/webhooks/attempt-outcome.ts'],
    tests: ['packages/engine/src/webhooks/attempt-outcome.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 99,
  },
  {
    name: 'api-keys-and-projects',
    mutate: [
      'packages/engine/src/projects/bearer-token.ts',
      'packages/engine/src/projects/api-key-hash.ts',
      'packages/engine/src/projects/project-service.ts',
      // The engine's checks on POST /register/project (admin token, body, webhooks) and POST /apikeys.
      'packages/engine/src/http/routes/projects.ts',
    ],
    tests: [
      'packages/engine/src/projects/project-service.test.ts',
      'packages/engine/src/http/routes/projects.test.ts',
      'packages/engine/test/http-api.int.test.ts',
      'packages/engine/test/project-names.int.test.ts',
      'packages/cli/test/project-names.int.test.ts',
    ],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 98,
  },
  {
    name: 'use-case-matching',
    mutate: ['packages/engine/src/planning/use-case-matcher.ts'],
    tests: ['packages/engine/src/planning/use-case-matcher.test.ts', 'packages/engine/src/planning/stem.test.ts'],
    tsconfig: 'packages/engine/tsconfig.json',
    break: 99,
  },
  {
    name: 'sdk-idempotency',
    mutate: ['packages/sdk/src/idempotency-cache.ts'],
    tests: ['packages/sdk/src/idempotency-cache.test.ts'],
    tsconfig: 'packages/sdk/tsconfig.json',
    break: 92,
  },
  {
    name: 'cli-arguments',
    mutate: ['packages/cli/src/data-flag.ts', 'packages/cli/src/reason-flag.ts'],
    // In-process tests only: the CLI tests that spawn `orra` run the built dist/, which Stryker does not mutate.
    tests: ['packages/cli/src/data-flag.test.ts', 'packages/cli/test/cli-arguments.int.test.ts'],
    tsconfig: 'packages/cli/tsconfig.json',
    break: 99,
  },
];
