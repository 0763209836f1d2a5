import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderTargets, type Section } from '../../../bench/report.ts';

const section = (title: string, targets: Section['targets']): Section => ({
  title,
  method: [],
  tables: [],
  notes: [],
  ...(targets === undefined ? {} : { targets }),
});

describe('BENCHMARKS.md targets table', () => {
  test('lists every section target beside its figure, met or missed', () => {
    const text = renderTargets([
      section('2. Overhead', [
        { name: 'Peak RSS at concurrency 100', measured: '912 MB', target: '<= 900 MB', met: false },
      ]),
      section('3. Cold start', undefined),
      section('7. Memory', [
        { name: 'RSS after 10000 / after 1000', measured: '1.11', target: '<= 1.3', met: true },
      ]),
    ]);
    assert.deepEqual(text.split('\n'), [
      '## Targets',
      '',
      '| measure | measured | target | result | benchmark |',
      '| --- | --- | --- | --- | --- |',
      '| Peak RSS at concurrency 100 | 912 MB | <= 900 MB | missed | 2. Overhead |',
      '| RSS after 10000 / after 1000 | 1.11 | <= 1.3 | met | 7. Memory |',
      '',
    ]);
  });

  test('is empty when no section measures a target', () => {
    assert.equal(renderTargets([section('5. Compiler', undefined)]), '');
  });
});
