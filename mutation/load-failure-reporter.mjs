/**
 * A vitest reporter for mutation runs only. Stryker's vitest runner (9.6.1, and 10.x) builds a mutant's
 * result from the tests vitest collected; a test file that fails to import collects none, so a mutant
 * that stops a module from loading (`addSubnet('')` throws at import) counts as survived although every
 * test of that file fails (stryker-js issue 6150). This turns such a file into one failed test, so the
 * mutant counts as killed. A file that loaded is left as it is.
 */
export default class LoadFailureAsFailedTest {
  onTestRunEnd(testModules) {
    for (const module of testModules) markUnloadable(module.task);
  }
}

function markUnloadable(file) {
  if (file.result?.state !== 'fail' || file.tasks.length > 0) return;
  const errors = file.result.errors?.length ? file.result.errors : [{ message: 'the test file failed to load' }];
  file.tasks.push({
    type: 'test',
    id: `${file.id}_load`,
    name: 'the test file loads',
    mode: 'run',
    file,
    suite: file,
    meta: {},
    annotations: [],
    result: { state: 'fail', errors },
  });
}
