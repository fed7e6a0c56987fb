/** The customer archive: custom fields, follow-ups, complaints, orders, interactions, and their entries of the customer timeline (src/views/timeline.ts). */
export * from './schema';
export { defineField, listFields, archiveField, setFieldValues, fieldValuesOf, fieldValueError, FIELD_TYPES, type FieldType, type FieldRow, type FieldDefinition, type FieldValidation, type FieldValue } from './customFields';
export { addFollowUp, listFollowUps, remindDueFollowUps, FOLLOW_UP_CHANNELS, REMIND_BATCH, type FollowUpChannel, type FollowUpInput, type FollowUpRow } from './followUps';
export { openComplaint, resolveComplaint, getComplaint, listComplaints, timeToResolveSeconds, type ComplaintRow } from './complaints';
export { refreshOrderFacts } from './orderFacts';
export { importOrders, validateOrderRow, OrderRow, ORDER_STATUSES, type OrderInput, type OrderStatus, type ImportSummary, type ImportOptions, type RejectedRow, type RejectCode } from './orders';
export { importOrdersCsv, CsvImportError, CsvSubmitError, CSV_HEADER, CSV_BATCH, type CsvImportProgress, type CsvImportResult, type CsvRejectedLine, type SubmitOrders } from './importOrdersCsv';
export { readCsv, CsvSyntaxError, MAX_RECORD_CHARS, type CsvRecord, type CsvOversizeRecord, type ReadCsvOptions } from './csv';
export { registerArchiveHandlers, recordInteractionsFor, interactionsOf, INTERACTION_KEYS, type InteractionKind } from './interactions';
export { archiveHistoryPage, ARCHIVE_HISTORY_SOURCES, type ArchiveHistoryItem, type ArchiveHistorySource } from './history';
export { assertCustomer } from './customers';
export { recomputeScores, getScore, recencyDays, SCORES_WORK_MEM, GROWTH_MIN_RF, REGULAR_MIN_RF, type ScoreRow, type Tier } from './scores';
export { recomputeStages, stageFunnel, stageOf, getStageRules, setStageRules, StageRules, DEFAULT_STAGE_RULES, STAGES } from './stages';
export { raiseWarnings, sendWarningDigests, listWarnings, resolveWarning, WARNING_KINDS, type WarningKind, type WarningView, type WarningFilter } from './warnings';
export { createAutoTagRule, listAutoTagRules, deleteAutoTagRule, applyAutoTagRules, queueTagChange, TAG_CHANGES_TABLE, type AutoTagRule, type AutoTagRuleInput } from './autoTags';
export { recomputeArchive, type RecomputeSummary } from './recompute';
export { lastInteractionSql, responsesAfter, type TouchEffect } from './touchEffects';
