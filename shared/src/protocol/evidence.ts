// Kinds of proof that a node misbehaved (DESIGN §7, "Evidence"). Only proofs
// count: a stale or slow answer is what asynchrony looks like and is never
// evidence.

export const EVIDENCE_KINDS = [
  /** A timestamp whose tag does not verify for the register. */
  'forged-ts',
  /** A candidate that is not authentic (too few vec entries verify). */
  'bad-mac',
  /** cc, meta or a block-hash list that does not hash to what the write committed to. */
  'wrong-cc',
  /** A fragment block that fails its committed hash. */
  'corrupt-block',
  /** An answer that does not parse, or names a candidate it was never given. */
  'malformed',
  /** A listing page that breaks the rules of DESIGN §8. */
  'bad-listing',
] as const;

export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export interface Evidence {
  readonly node: number;
  readonly kind: EvidenceKind;
  readonly detail: string;
}
