import type { SegmentRow } from '../../segments';

/** A saved segment as the API shows it: fields listed one by one. */
export function presentSegment(s: SegmentRow) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    rule: s.rule,
    createdBy: s.createdBy,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    materialisedAt: s.materialisedAt ? s.materialisedAt.toISOString() : null,
    memberCount: s.memberCount,
  };
}
