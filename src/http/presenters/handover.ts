import type { AuditRow, ItemRow, PlanRow } from '../../handover';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentPlanSummary(plan: PlanRow, counts: Record<string, number>) {
  return {
    id: plan.id, kind: plan.kind, status: plan.status, from: plan.fromUserId, takeovers: plan.takeoverUserIds, rule: plan.rule,
    automatic: plan.automatic, unassignedReason: plan.unassignedReason, createdBy: plan.createdBy, createdAt: plan.createdAt.toISOString(),
    confirmedAt: iso(plan.confirmedAt), finishedAt: iso(plan.finishedAt), counts,
  };
}

export function presentPlan(v: { plan: PlanRow; items: ItemRow[]; counts: Record<string, number> }) {
  return {
    ...presentPlanSummary(v.plan, v.counts),
    items: v.items.map((i) => ({
      type: i.type, id: i.targetId, to: i.toUserId, status: i.status, reason: i.reason, errcode: i.errcode,
      scheduledFor: i.status === 'pending' || i.status === 'planned' ? iso(i.availableAt) : null,
      takeoverAt: iso(i.takeoverAt), finalAt: iso(i.finalAt),
    })),
  };
}

export function presentAuditEntry(r: AuditRow) {
  return { id: r.id, planId: r.planId, actor: r.actor, action: r.action, detail: r.detail, at: r.at.toISOString() };
}
