// Settings shared by every mutation target (see /work/shared/reviews/mutation-2026-12.md, "Method").
// Mutant switching: the sandbox is instrumented once and compiled once (tsc);
// each mutant is one run of the target's compiled test files, all in one
// process (mutation/tests.mjs), with __STRYKER_ACTIVE_MUTANT__ set. Type
// checks are off (the instrumented code need not type-check), coverage
// analysis is off (node:test has no per-test hook for Stryker), so every
// mutant runs the whole command.
// The full mutator set: nothing is excluded.

/** @param {string} target @param {string[]} mutate @param {string[]} tests */
export function config(target, mutate, tests) {
  return {
    $schema: '../node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    testRunner: 'command',
    commandRunner: { command: `node mutation/tests.mjs ${tests.join(' ')}` },
    // The sandbox gets its own node_modules holding only the workspace link
    // (build-sandbox.mjs); everything else resolves from the project's.
    symlinkNodeModules: false,
    buildCommand: 'node mutation/build-sandbox.mjs',
    mutate,
    ignorePatterns: ['dist', 'data', 'reports', '.stryker-tmp', '.tmp', '*.log'],
    disableTypeChecks: '**/*.ts',
    coverageAnalysis: 'off',
    incremental: false,
    concurrency: 2,
    timeoutMS: 6000,
    timeoutFactor: 1.5,
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    reporters: ['json', 'html', 'progress'],
    jsonReporter: { fileName: `reports/mutation/${target}.json` },
    htmlReporter: { fileName: `reports/mutation/${target}.html` },
  };
}
