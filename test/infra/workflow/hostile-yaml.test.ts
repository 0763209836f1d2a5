/**
 * Hostile YAML (issue 13, part 5): alias bombs, recursive aliases, deep nesting, unknown tags and
 * prototype-named keys each end in one `file:line:col` diagnostic within bounded time and memory,
 * and legitimate alias use (300 `<<: *defaults` merges) still loads, with exactly the data yaml
 * itself would build.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { aslOf } from '../../../infra/asl-command.ts';
import { REPO_ROOT } from '../../../infra/repo-root.ts';
import { characterProblem } from '../../../infra/workflow/aws-limits.ts';
import { loadWorkflowFile } from '../../../infra/workflow/index.ts';
import {
  MAX_YAML_EXPANDED_CHARS,
  MAX_YAML_NESTING,
  MAX_YAML_SOURCE_CHARS,
  MAX_YAML_TOKENS,
  parseYaml,
} from '../../../infra/workflow/yaml-source.ts';
import { hostileWorkflows } from '../../fixtures/workflows/hostile/hostile-workflows.ts';
import { diagnosticsOf } from './diagnostics-of.ts';

const fixtures = hostileWorkflows();

describe('hostile workflow files', () => {
  test('the corpus holds bombs, recursion, nesting, tags and a legitimate alias-heavy file', () => {
    const names = fixtures.map((f) => f.name);
    for (const wanted of [
      'alias-bomb',
      'alias-recursive',
      'nesting-2000-flow',
      'tag-unknown',
      'valid-300-merges',
    ])
      assert.ok(names.includes(`${wanted}.yaml`), `no ${wanted}.yaml in ${names.join(', ')}`);
    for (const f of fixtures) {
      assert.equal(f.expected.length === 0, f.name.startsWith('valid-'), `${f.name}: # expect: lines`);
    }
  });

  for (const fixture of fixtures.filter((f) => f.expected.length > 0)) {
    test(`${fixture.name} reports exactly its file:line:col diagnostic, through npm run asl's stages`, () => {
      const shown = relative(process.cwd(), fixture.path);
      const started = performance.now();
      const got = diagnosticsOf(() => aslOf(fixture.path));
      const ms = performance.now() - started;
      assert.deepEqual(
        got,
        fixture.expected.map((e) => `${shown}:${e}`),
      );
      assert.ok(ms < 5_000, `${fixture.name} took ${Math.round(ms)} ms`);
    });
  }

  test('valid-300-merges.yaml: 300 steps sharing one anchor load and compile (yaml alone refuses it)', () => {
    const path = join(REPO_ROOT, 'test/fixtures/workflows/hostile/valid-300-merges.yaml');
    const text = readFileSync(path, 'utf8');
    // What the old reader did: yaml's alias count calls this a resource-exhaustion attack.
    assert.throws(() => parse(text, { merge: true }), /Excessive alias count/);
    const spec = loadWorkflowFile(path);
    assert.equal(spec.steps.length, 300);
    assert.deepEqual(new Set(spec.steps.map((s) => s.timeoutSeconds)), new Set([20]));
    assert.deepEqual(new Set(spec.steps.map((s) => s.serviceUrl)), new Set(['https://accounts.example.com']));
    assert.equal(spec.steps[299]?.name, 'step_299');
    const { definition } = aslOf(path);
    assert.equal(Object.keys((definition as { States: object }).States).length, 300);
  });
});

/** Times one parse and reports its diagnostics (formatted without the file). */
function timedParse(text: string): { ms: number; heapMb: number; diagnostics: string[]; loaded: boolean } {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = parseYaml(text, 'f.yaml');
  const ms = performance.now() - started;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  return {
    ms,
    heapMb,
    loaded: result.source !== undefined,
    diagnostics: result.diagnostics.map((d) => `${d.line}:${d.column}: ${d.message}`),
  };
}

const lines = (n: number, line: (i: number) => string): string =>
  Array.from({ length: n }, (_, i) => line(i)).join('\n');

describe('bounded time and memory on generated attacks', () => {
  const attacks: Array<{ name: string; text: string; expect: RegExp }> = [
    {
      name: 'billion laughs, 12 levels of 10 (10^12 values written out)',
      text: `a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${lines(12, (i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)}\n`,
      expect: /^6:\d+: YAML alias \*a4 \(111111 values, 422222 characters expanded\) takes the data past/,
    },
    {
      name: 'doubling, 200 levels (2^200 values written out)',
      text: `a0: &a0 x\n${lines(200, (i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)}\n`,
      expect: /^\d+:\d+: YAML alias \*a\d+ \(\d+ values, \d+ characters expanded\) takes the data past/,
    },
    {
      name: 'merge bomb: each level merges the last one 16 times',
      text: `m0: &m0 {${lines(16, (i) => `k${i}: ${'v'.repeat(40)}`).replaceAll('\n', ', ')}}\n${lines(8, (i) => `m${i + 1}: &m${i + 1}\n  <<: [${Array(16).fill(`*m${i}`).join(', ')}]\n  own: [${Array(16).fill(`*m${i}`).join(', ')}]`)}\n`,
      expect: /^\d+:\d+: YAML alias \*m\d+ \(\d+ values, \d+ characters expanded\) takes the data past/,
    },
    {
      name: '10,000 anchors each wrapping the last (nesting reached through aliases)',
      text: `a0: &a0 [1]\n${lines(10_000, (i) => `a${i + 1}: &a${i + 1} [*a${i}]`)}\n`,
      expect: new RegExp(
        `^${MAX_YAML_NESTING}:\\d+: YAML alias \\*a${MAX_YAML_NESTING - 2} nests the data deeper than ${MAX_YAML_NESTING} levels`,
      ),
    },
    {
      name: '700-deep block mappings (one-space indentation; 2000 would be over the size limit)',
      text: `${lines(700, (i) => `${' '.repeat(i)}k${i}:`)}\n${' '.repeat(700)}v\n`,
      expect: new RegExp(
        `^${MAX_YAML_NESTING + 1}:${MAX_YAML_NESTING + 1}: YAML nesting deeper than ${MAX_YAML_NESTING} levels`,
      ),
    },
    {
      name: '100,000 nested flow sequences',
      text: `x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
      expect: new RegExp(`^1:${MAX_YAML_NESTING + 3}: YAML nesting deeper than ${MAX_YAML_NESTING} levels`),
    },
    {
      name: '100,000 compact block sequences on one line',
      text: `x:\n  ${'- '.repeat(100_000)}x\n`,
      expect: /^2:\d+: YAML nesting deeper than 64 levels/,
    },
    {
      name: 'a file over the size limit',
      text: `x: "${'a'.repeat(MAX_YAML_SOURCE_CHARS)}"\n`,
      expect: new RegExp(
        `^1:${MAX_YAML_SOURCE_CHARS + 1}: the file is ${MAX_YAML_SOURCE_CHARS + 6} characters, over the`,
      ),
    },
    {
      name: 'one mapping of 15,000 keys ending in a duplicate (yaml checks keys in quadratic time)',
      text: `${lines(15_000, (i) => `key_${i}: ${i}`)}\nkey_7: again\n`,
      expect: /^15001:1: YAML syntax error: duplicate key 'key_7'/,
    },
    {
      name: 'a flow list of 150,000 one-letter items (over the token limit)',
      text: `list: [${Array(150_000).fill('v').join(',')}]\n`,
      expect: new RegExp(`^1:\\d+: the file has over ${MAX_YAML_TOKENS} YAML tokens`),
    },
    {
      name: 'a YAML 1.1 document, where a date reads as a Date',
      text: '%YAML 1.1\n---\nname: w\nwhen: 2026-12-02\n',
      expect: /^4:7: YAML reads this value as a date, not JSON data: quote it to keep it as text$/,
    },
    {
      name: 'a recursive merge',
      text: 'a: &a\n  b: 1\n  <<: *a\n',
      expect: /^3:7: YAML alias \*a is recursive: it is inside its own anchor &a \(line 1\)/,
    },
  ];
  for (const attack of attacks) {
    test(`${attack.name}: one diagnostic, under 5 s and 128 MB of heap`, (t) => {
      const result = timedParse(attack.text);
      t.diagnostic(
        `${attack.text.length} characters: ${Math.round(result.ms)} ms, heap ${Math.round(result.heapMb)} MB`,
      );
      assert.equal(result.loaded, false);
      assert.equal(result.diagnostics.length, 1, result.diagnostics.join('\n'));
      assert.match(result.diagnostics[0] ?? '', attack.expect);
      assert.ok(result.ms < 5_000, `took ${Math.round(result.ms)} ms`);
      assert.ok(result.heapMb < 128, `heap grew ${Math.round(result.heapMb)} MB`);
    });
  }

  test('80,000 aliases of one anchor within the size limits load (yaml resolves each alias by a scan of all before it)', () => {
    const text = `a: &a v\nlist: [${Array(80_000).fill('*a').join(',')}]\n`;
    const result = timedParse(text);
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.ms < 5_000, `took ${Math.round(result.ms)} ms`);
  });

  test('a document just under the expanded limit loads; one alias more is refused', () => {
    const chunk = 'x'.repeat(999);
    // Each alias of the 1000-character scalar counts 1000; the list and the key count a few more.
    const under = Math.floor(MAX_YAML_EXPANDED_CHARS / 1000) - 3;
    const ok = parseYaml(`a: &a ${chunk}\nl: [${Array(under).fill('*a').join(', ')}]\n`, 'f.yaml');
    assert.deepEqual(ok.diagnostics, []);
    const over = parseYaml(
      `a: &a ${chunk}\nl: [${Array(under + 4)
        .fill('*a')
        .join(', ')}]\n`,
      'f.yaml',
    );
    assert.equal(over.diagnostics.length, 1);
    assert.match(over.diagnostics[0]?.message ?? '', /YAML alias \*a \(1 values, 1000 characters expanded\)/);
  });

  test(`nesting of exactly ${MAX_YAML_NESTING} levels loads, ${MAX_YAML_NESTING + 1} is refused`, () => {
    const nested = (n: number): string => `${'['.repeat(n - 1)}1${']'.repeat(n - 1)}`;
    // The document mapping is the first level.
    assert.deepEqual(parseYaml(`x: ${nested(MAX_YAML_NESTING)}\n`, 'f.yaml').diagnostics, []);
    assert.equal(parseYaml(`x: ${nested(MAX_YAML_NESTING + 1)}\n`, 'f.yaml').diagnostics.length, 1);
  });
});

describe('the data is what yaml builds', () => {
  const repoYaml = [
    'config',
    'test/fixtures/workflows/valid',
    'test/fixtures/workflows/e2e',
    'test/fixtures/workflows/console',
    'test/fixtures/workflows/broken',
  ].flatMap((dir) =>
    readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(dir, f)),
  );

  test(`every YAML file of the repository (${repoYaml.length}) that yaml reads gives the same data`, () => {
    let compared = 0;
    for (const file of repoYaml) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      const ours = parseYaml(text, file);
      let theirs: unknown;
      try {
        theirs = parse(text, { merge: true, uniqueKeys: true, prettyErrors: false });
      } catch {
        assert.equal(ours.source, undefined, `${file}: yaml refuses it, we read it`);
        continue;
      }
      if (ours.source === undefined) continue; // a broken fixture yaml reads but we refuse (e.g. a duplicate key)
      assert.deepStrictEqual(ours.source.data, theirs, file);
      compared++;
    }
    assert.ok(compared >= 20, `only ${compared} files compared`);
  });

  const samples: Record<string, string> = {
    'merge, then an own key': 'd: &d {a: 1, b: 2}\nx:\n  <<: *d\n  b: 3\n',
    'own key, then a merge': 'd: &d {a: 1, b: 2}\nx:\n  b: 3\n  <<: *d\n',
    'merge of a list: earlier mappings win': 'p: &p {a: 1}\nq: &q {a: 2, b: 2}\nx:\n  <<: [*p, *q]\n',
    'an anchor redefined: later aliases see the new one': 'a: &v 1\nb: *v\nc: &v 2\nd: *v\n',
    'aliases of scalars, lists and mappings': 's: &s str\nl: &l [1, 2]\nm: &m {k: v}\nuse: [*s, *l, *m]\n',
    'an alias as a key': 'k: &k name\nm: {*k : 1}\n',
    'null values and keys': 'a:\nb: ~\n? c\n~: 4\n',
    'prototype-named keys':
      '__proto__: {polluted: true}\ntoString: 1\nconstructor: {x: 1}\nhasOwnProperty: 2\n',
    'allowed tags':
      'a: !!str 123\nb: !!int "7"\nc: ! 12\nd: !!map {x: 1}\ne: !!seq [1]\nf: !!null ""\ng: !!bool "true"\nh: !!float 1.5\n',
    'numbers, booleans and block scalars':
      'a: 0x1F\nb: 1e3\nc: .inf\nd: true\ne: |\n  two\n  lines\nf: >-\n  folded\n  text\n',
    'an empty document': '',
    'a comment only': '# nothing\n',
  };
  for (const [name, text] of Object.entries(samples)) {
    test(`${name}: same data as yaml`, () => {
      const ours = parseYaml(text, 'f.yaml');
      assert.deepEqual(ours.diagnostics, []);
      assert.deepStrictEqual(ours.source?.data, parse(text, { merge: true }) ?? null);
    });
  }

  test('prototype-named keys are own properties and pollute nothing', () => {
    const data = parseYaml('__proto__: {polluted: true}\ntoString: 1\n', 'f.yaml').source?.data as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.ok(Object.hasOwn(data, '__proto__'));
    assert.deepEqual(Object.keys(data), ['__proto__', 'toString']);
    assert.equal(data.toString, 1);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('any JSON value with shared parts, written with anchors and aliases by yaml, reads back as yaml reads it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue({ maxDepth: 4 }), { minLength: 1, maxLength: 4 }),
        fc.nat(20),
        (parts, seed) => {
          // Reuse the same objects in several places so yaml writes anchors (&a1) and aliases (*a1).
          const shared = parts.filter((p) => typeof p === 'object' && p !== null);
          const doc = { parts, again: shared, twice: shared.slice(seed % (shared.length + 1)) };
          fc.pre(clean(doc));
          const text = stringify(doc);
          const ours = parseYaml(text, 'f.yaml');
          assert.deepEqual(ours.diagnostics, []);
          assert.deepStrictEqual(ours.source?.data, parse(text, { maxAliasCount: -1 }));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('random YAML-like text', () => {
  const pieces = [
    '[',
    ']',
    '{',
    '}',
    ': ',
    ',',
    '- ',
    '? ',
    '&a ',
    '*a',
    '&b ',
    '*b',
    '<<: ',
    '|',
    '>',
    "'",
    '"',
    '#',
    '\n',
    ' ',
    '  ',
    'x',
    'k',
    '1',
    '~',
    'true',
    '---',
    '__proto__: ',
    'toString: ',
  ];

  test('never throws: the reader gives data or at least one diagnostic, each at a line of the text', () => {
    const unit = fc.constantFrom(
      ...pieces,
      '!!str ',
      '!foo ',
      '%',
      '@',
      '\t',
      '\\',
      '...',
      '\u202e',
      '\u0000',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (text) => {
        const result = parseYaml(text, 'f.yaml');
        assert.ok(result.source !== undefined || result.diagnostics.length > 0);
        const lines = text.split('\n').length;
        for (const d of result.diagnostics) assert.ok(d.line >= 1 && d.line <= lines, JSON.stringify(d));
        if (result.source) JSON.stringify(result.source.data);
      }),
      { numRuns: 3000 },
    );
  });

  test('whatever the reader loads, yaml loads too, to the same data', () => {
    let loaded = 0;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...pieces), maxLength: 60 }), (text) => {
        const ours = parseYaml(text, 'f.yaml');
        if (ours.source === undefined) return;
        loaded++;
        assert.deepStrictEqual(
          ours.source.data,
          parse(text, { merge: true, maxAliasCount: -1, logLevel: 'silent' }) ?? null,
        );
      }),
      { numRuns: 3000 },
    );
    assert.ok(loaded > 300, `only ${loaded} of 3000 texts loaded`);
  });
});

/** True when no string in `value` (keys included) holds a character the reader refuses. */
function clean(value: unknown): boolean {
  if (typeof value === 'string') return characterProblem(value, { lineBreaks: true }) === undefined;
  if (Array.isArray(value)) return value.every(clean);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, item]) => clean(key) && clean(item));
  return true;
}

describe('control and bidirectional-override characters', () => {
  const FORBIDDEN = [
    '\u0000',
    '\u0007',
    '\u001b',
    '\u007f',
    '\u0085',
    '\u202a',
    '\u202e',
    '\u2066',
    '\u2069',
    '\ufffe',
    '\ud800',
  ];

  test('each forbidden character, escaped in a double-quoted key or value on any line, is refused at that line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...FORBIDDEN),
        fc.nat(5),
        fc.boolean(),
        fc.string({ maxLength: 8, unit: fc.constantFrom('a', 'b', ' ', 'é') }),
        (escaped, line, inKey, around) => {
          const lines = Array.from({ length: 6 }, (_, i) => `k${i}: v${i}`);
          lines[line] = inKey ? `"${around}${escaped}": v` : `k${line}: "${around}${escaped}${around}"`;
          const result = parseYaml(`${lines.join('\n')}\n`, 'f.yaml');
          assert.equal(result.source, undefined);
          assert.equal(result.diagnostics.length, 1);
          assert.equal(result.diagnostics[0]?.line, line + 1);
          assert.match(
            result.diagnostics[0]?.message ?? '',
            /^this text holds U\+[0-9A-F]{4} .* \(character \d+\): a workflow file may not hold control or bidirectional-override characters/,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a raw right-to-left override in a step description is refused with file:line:col', () => {
    const text = 'name: w\nstep_templates:\n  - name: a\n    description: pay \u202Eevil\n';
    assert.deepEqual(
      parseYaml(text, 'f.yaml').diagnostics.map((d) => `${d.line}:${d.column}: ${d.message.split(':')[0]}`),
      ['4:18: this text holds U+202E RIGHT-TO-LEFT OVERRIDE (character 5)'],
    );
  });

  test('tabs, line breaks, accents, emoji, right-to-left script and its marks are text like any other', () => {
    const text = 'a: "tab\\there"\nb: |\n  two\n  lines\nc: café 😀\nd: שלום עולם\ne: "mark\\u200Fhere"\n';
    const result = parseYaml(text, 'f.yaml');
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(result.source?.data, {
      a: 'tab\there',
      b: 'two\nlines\n',
      c: 'café 😀',
      d: 'שלום עולם',
      e: 'mark\u200Fhere',
    });
  });
});

describe('npm run asl on hostile files', () => {
  const asl = (file: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> =>
    new Promise((resolve) => {
      const started = performance.now();
      execFile(
        process.execPath,
        ['infra/asl.ts', file],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout, stderr, ms: performance.now() - started });
        },
      );
    });

  for (const name of ['alias-bomb.yaml', 'nesting-2000-flow.yaml']) {
    test(`${name}: exit 1, its one file:line:col diagnostic on stderr, nothing on stdout, no stack trace`, async () => {
      const fixture = fixtures.find((f) => f.name === name);
      assert.ok(fixture);
      const file = relative(REPO_ROOT, fixture.path);
      const result = await asl(file);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.deepEqual(
        result.stderr.trimEnd().split('\n'),
        fixture.expected.map((e) => `${file}:${e}`),
      );
    });
  }
});
