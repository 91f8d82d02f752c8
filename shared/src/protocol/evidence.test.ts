// The kinds of evidence are a closed list that reports and metrics name.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVIDENCE_KINDS } from './evidence.js';

describe('EVIDENCE_KINDS', () => {
  it('names exactly the six kinds of proof', () => {
    assert.deepEqual([...EVIDENCE_KINDS], ['forged-ts', 'bad-mac', 'wrong-cc', 'corrupt-block', 'malformed', 'bad-listing']);
  });
});
