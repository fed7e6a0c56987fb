/** Touchpoint content: templates (render, preview, quick replies), media, channels (contact ways), welcome messages. */
export * from './schema';
export {
  renderTemplate, renderString, templateVariables, isKnownVariable, isCustomerVariable, truncateBytes,
  TEXT_MAX_BYTES, GROUP_WELCOME_TEXT_MAX_BYTES, ATTACHMENTS_MAX, ATTACHMENT_TYPES, CUSTOMER_VARIABLES, REP_VARIABLES,
  type TemplateAttachment, type RenderVars, type Rendered,
} from './render';
export { renderVarsFor } from './renderVars';
export { validateAttachments, wecomAttachments, mediaRefsOf } from './attachments';
export { storeMedia, getMedia, wecomMediaId, MEDIA_LIMITS, MEDIA_MAX_BYTES, MEDIA_MIN_BYTES, type MediaInput, type MediaMeta } from './media';
export {
  getTemplate, liveTemplate, listTemplates, listCategories, createTemplate, updateTemplate, archiveTemplate, listGroupWelcomeTemplates,
  validateTemplateContent, type TemplateRow, type TemplateInput, type TemplatePatch, type TemplateFilter, type ContentDeps,
} from './templates';
export { syncGroupWelcome, retryGroupWelcome, recoverGroupWelcomes } from './groupWelcome';
export { getWelcomeSettings, setWelcomeSettings, type WelcomeSettings } from './settings';
export { previewTemplate, useTemplate, type UseInput, type UseResult } from './useTemplate';
export {
  createChannel, updateChannel, deleteChannel, getChannel, listChannels, channelByState, channelStats, recoverChannels, newState,
  CHANNEL_USERS_MAX, type ChannelRow, type ChannelInput, type ChannelPatch, type ChannelStats,
} from './channels';
export { registerWelcomeHandlers, sendWelcome, settleStaleWelcomes, warmWelcomeMedia, listWelcomeSends, WELCOME_CODE_TTL_MS, type WelcomeDeps, type WelcomeSendRow } from './welcome';
export { invalid, wecomFailure, outcomeUnknown } from './failures';
export { recoverContent } from './recovery';
export { channelMirror, groupWelcomeMirror } from './mirrorLease';
export { welcomesOf, type WelcomeTimelineItem } from './welcomeTimeline';
