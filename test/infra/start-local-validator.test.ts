/**
 * `npm start` runs the start function from source; the offline runtime points it at the validator
 * module the synth step generates for the bundle (issue 14 §5), so local requests validate with
 * the same generated code and no sandbox compiles the schema with ajv.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { API_ENTRIES } from '../../infra/api.ts';
import { REPO_ROOT } from '../../infra/build-app.ts';
import { writeStartEntry } from '../../lambdas/api/standalone-validator.ts';
import { API_ENV } from '../../lambdas/contracts.ts';
import { loadModels } from '../../local/runtime/load-models.ts';

test('in-process models give each start function the generated validator module, and only it', async () => {
  const loaded = await loadModels({ rootDir: REPO_ROOT, environment: 'development' });
  assert.ok(loaded.length >= 1, 'config/ has a workflow');
  const paths = new Set<string>();
  for (const { model, spec } of loaded) {
    const starts = model.functions.filter((fn) => fn.modulePath === join(REPO_ROOT, API_ENTRIES.start));
    assert.equal(starts.length, 1, `${spec.name}: one start function`);
    const path = starts[0]!.env[API_ENV.validatorModule];
    assert.ok(path !== undefined && existsSync(path), `${spec.name}: ${path}`);
    // The very file the bundle's generated entry imports, generated from this workflow's schema.
    const { entry, validatorModule } = writeStartEntry(REPO_ROOT, spec.schema);
    assert.equal(path, validatorModule);
    assert.match(readFileSync(entry, 'utf8'), /import \{ validate \} from '\.\/validator\.mjs';/);
    assert.equal(dirname(path), dirname(entry));
    paths.add(path);
    for (const fn of model.functions.filter((candidate) => candidate !== starts[0])) {
      assert.equal(fn.env[API_ENV.validatorModule], undefined, `${fn.functionName} has no validator module`);
    }
  }
  assert.equal(paths.size, loaded.length, 'one module per workflow schema');
});
