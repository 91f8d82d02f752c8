// `powerstore heal`'s report and exit code, and the scrub interval setting of
// the gateway config: pure logic, no cluster.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { parseGatewayConfig } from '../config.js';
import { minimalConfigFile } from '../testing/config-file.js';
import type { NodeCounts, ScrubReport } from '../background/scrub.js';
import { exitCodeOf, formatReport } from './heal.js';

const counts = (o: Partial<NodeCounts> = {}): NodeCounts => ({
  checked: 5, ok: 5, missing: 0, corrupt: 0, unreadable: 0, unreachable: 0, healed: 0, failed: 0, ...o,
});

const report = (nodes: NodeCounts[], o: Partial<ScrubReport> = {}): ScrubReport => ({
  dryRun: false, nodes, registers: 4, writes: 5, superseded: 0, errors: [], problems: [], problemsDropped: 0, aborted: false, ms: 1234, ...o,
});

describe('heal report', () => {
  it('healthy: a line per node, exit code 0', () => {
    const r = report([counts(), counts(), counts(), counts()]);
    const lines = formatReport(r);
    assert.equal(lines[0], 'heal: 5 history entries of 4 registers checked at 4 nodes in 1.2 s');
    assert.equal(lines[1], 'node 0: checked 5, missing 0, corrupt 0, unreadable 0, unreachable 0, healed 0, failed 0');
    assert.equal(lines.at(-1), 'result: healthy');
    assert.equal(exitCodeOf(r), 0);
  });

  it('everything found was healed: exit code 0', () => {
    const r = report([counts({ ok: 0, missing: 4, corrupt: 1, healed: 5 }), counts(), counts(), counts()]);
    const lines = formatReport(r, new Map([[0, new Map([['corrupt-block', 1] as const])]]));
    assert.equal(lines[1], 'node 0: checked 5, missing 4, corrupt 1, unreadable 0, unreachable 0, healed 5, failed 0');
    assert.ok(lines.includes('evidence: node 0: corrupt-block ×1'));
    assert.equal(lines.at(-1), 'result: healed (5 copies)');
    assert.equal(exitCodeOf(r), 0);
  });

  it('a failed heal, an unreachable node, a listing error or an interrupted pass: exit code 1', () => {
    const healthy = [counts(), counts(), counts()];
    assert.equal(exitCodeOf(report([counts({ ok: 4, missing: 1, failed: 1 }), ...healthy])), 1);
    assert.equal(exitCodeOf(report([counts({ ok: 0, unreachable: 5 }), ...healthy])), 1);
    const withError = report([counts(), ...healthy], { errors: ['listing b: list: 2 of 3 required answers'] });
    assert.equal(exitCodeOf(withError), 1);
    assert.ok(formatReport(withError).includes('error: listing b: list: 2 of 3 required answers'));
    assert.match(formatReport(withError).at(-1)!, /NOT HEALTHY/);
    const interrupted = report([counts(), ...healthy], { aborted: true });
    assert.equal(exitCodeOf(interrupted), 1);
    assert.match(formatReport(interrupted).at(-1)!, /INTERRUPTED/);
  });

  it('a dry run: exit code 1 when something needs healing, 0 when nothing does', () => {
    const healthy = [counts(), counts(), counts()];
    const found = report([counts({ ok: 3, missing: 2 }), ...healthy], { dryRun: true });
    assert.equal(exitCodeOf(found), 1);
    assert.match(formatReport(found)[0]!, /^heal \(dry run\):/);
    assert.equal(formatReport(found).at(-1), 'result: 2 copies need healing (dry run: nothing changed)');
    assert.equal(exitCodeOf(report([counts(), ...healthy], { dryRun: true })), 0);
  });

  it('a dry run with a node unreachable says NOT HEALTHY, as its exit code 1 does (operations review: it said healthy)', () => {
    const down = report([counts({ ok: 0, unreachable: 5 }), counts(), counts(), counts()], { dryRun: true });
    assert.equal(exitCodeOf(down), 1);
    assert.match(formatReport(down).at(-1)!, /^result: NOT HEALTHY/);
    const both = report([counts({ ok: 0, unreachable: 5 }), counts({ ok: 3, missing: 2 }), counts(), counts()], { dryRun: true });
    assert.equal(formatReport(both).at(-1), 'result: NOT HEALTHY: 2 copies need healing and 5 could not be checked (dry run: nothing changed)');
  });
});

describe('gateway config: scrubIntervalS', () => {
  const base = minimalConfigFile();

  it('is off unless set, and takes whole seconds up to a week', () => {
    assert.equal(parseGatewayConfig(base, 'x').scrubIntervalS, 0);
    assert.equal(parseGatewayConfig({ ...base, scrubIntervalS: 3600 }, 'x').scrubIntervalS, 3600);
    for (const bad of [-1, 1.5, '60', 8 * 24 * 3600]) {
      assert.throws(() => parseGatewayConfig({ ...base, scrubIntervalS: bad }, 'x'), (e: unknown) => e instanceof ConfigError && /scrubIntervalS/.test(e.message));
    }
  });
});
