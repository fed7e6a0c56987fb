import type { CampaignPreview, CampaignRow, DeliveryView, RunRow } from '../../touchpoints/campaigns';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A campaign as the API shows it: fields listed one by one. */
export function presentCampaign(c: CampaignRow) {
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    status: c.status,
    audience: c.audience,
    content: c.content,
    schedule: c.scheduleType
      ? { type: c.scheduleType, at: iso(c.runAt), cron: c.cron, startsAt: iso(c.startsAt), endsAt: iso(c.endsAt), timezone: c.timezone }
      : null,
    ownerRule: c.ownerRule,
    createdBy: c.createdBy,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
    activatedAt: iso(c.activatedAt),
    finishedAt: iso(c.finishedAt),
  };
}

export function presentRun(run: RunRow, counts: Record<string, number>) {
  return {
    id: run.id,
    scheduledAt: run.scheduledAt.toISOString(),
    status: run.status,
    reason: run.reason,
    deferredUntil: iso(run.deferredUntil),
    plannedAt: iso(run.plannedAt),
    completedAt: iso(run.completedAt),
    summary: run.summary,
    lastError: run.lastError,
    counts,
  };
}

export function presentDelivery(d: DeliveryView) {
  return {
    id: d.id, runId: d.runId, recipientId: d.recipientId, recipientKind: d.recipientKind, name: d.name, sender: d.sender,
    batchNo: d.batchNo, status: d.status, reason: d.reason,
    plannedAt: d.plannedAt.toISOString(), sentAt: iso(d.sentAt), finalAt: iso(d.finalAt),
  };
}

export function presentPreview(p: CampaignPreview) {
  return {
    at: p.at.toISOString(), targeted: p.targeted, willSend: p.willSend, skipped: p.skipped, senders: p.senders, calls: p.calls,
    deferredUntil: iso(p.deferredUntil),
    sample: p.sample.map((s) => ({ recipientId: s.recipientId, name: s.name, sender: s.sender, reason: s.reason })),
  };
}
