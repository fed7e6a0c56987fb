/** Segments: a JSON rule language, compiled to one SQL query; saved segments, preview and materialised membership. */
export * from './schema';
export { parseRule, fieldKeysOf, type SegmentRule, type RuleNode, type Condition, type FieldCondition, type FieldOp, STAGES, TIERS, MAX_DEPTH, MAX_CONDITIONS } from './rules';
export { compileRule, type CompileOptions } from './compile';
export {
  validateRule, previewSegment, createSegment, listSegments, getSegment, updateSegment, deleteSegment, materialiseSegment, membersOf,
  type Preview, type SegmentInput, type SegmentRow, type MemberPage,
} from './service';
