import {
  templateVariables, type ChannelRow, type MediaMeta, type Rendered, type TemplateRow, type WelcomeSendRow,
} from '../../touchpoints';

/** Presenters of touchpoint content: fields listed explicitly (media bytes and cached WeCom media ids stay inside). */
const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentTemplate(t: TemplateRow) {
  return {
    id: t.id, name: t.name, category: t.category, kind: t.kind, text: t.text, attachments: t.attachments,
    variables: templateVariables(t), version: t.version, createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString(), archivedAt: iso(t.archivedAt),
    wecom: t.kind === 'group_welcome'
      ? { templateId: t.wecomTemplateId, status: t.wecomStatus, errcode: t.wecomErrcode, error: t.wecomError }
      : null,
  };
}

export function presentRendered(templateId: number, r: Rendered & { followUpId?: number | null; replayed?: boolean }) {
  return {
    templateId, text: r.text, attachments: r.attachments, missing: r.missing, truncated: r.truncated,
    followUpId: r.followUpId ?? null, replayed: r.replayed ?? false,
  };
}

export function presentMedia(m: MediaMeta) {
  return {
    id: m.id, filename: m.filename, contentType: m.contentType, type: m.type, size: m.size, sha256: m.sha256,
    createdBy: m.createdBy, createdAt: m.createdAt.toISOString(), wecomUploadedAt: iso(m.wecomUploadedAt),
  };
}

export function presentChannel(c: ChannelRow) {
  return {
    id: c.id, name: c.name, state: c.state, status: c.status, configId: c.configId, qrCode: c.qrCode, userIds: c.userIds,
    remark: c.remark, skipVerify: c.skipVerify, welcomeTemplateId: c.welcomeTemplateId, tagIds: c.tagIds,
    syncPending: c.status === 'creating' || c.status === 'deleting' || c.version > c.wecomSyncedVersion,
    lastErrcode: c.lastErrcode, lastError: c.lastError, createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(), updatedAt: c.updatedAt.toISOString(), deletedAt: iso(c.deletedAt),
  };
}

export function presentWelcomeSend(w: WelcomeSendRow) {
  return {
    id: w.id, userId: w.userId, externalUserId: w.externalUserId, state: w.state, channelId: w.channelId, templateId: w.templateId,
    status: w.status, errcode: w.errcode, error: w.error, content: w.content, attachmentTypes: w.attachmentTypes, missing: w.missing,
    filled: w.filled, customerLookup: w.customerLookup, customerLookupError: w.customerLookupError,
    createdAt: w.createdAt.toISOString(), finishedAt: iso(w.finishedAt),
  };
}
