import { fieldValuesOf } from '../../archive';
import type { Executor } from '../../db/connection';
import { corpScope } from '../../db/scope';
import { templateFacts } from '../../ledger';
import type { RenderVars } from './render';

/**
 * The variables for one customer and/or rep, from the ledger (names, the
 * rep's remark) and the archive (custom field values). A customer the ledger
 * has not stored yet (a brand-new add) has no values: templates fall back.
 */
export async function renderVarsFor(ex: Executor, corpId: string, ids: { externalUserId?: string; userId?: string }): Promise<RenderVars> {
  const f = await templateFacts(ex, corpId, ids);
  const vars: RenderVars = {};
  if (ids.externalUserId && f.customerKnown) {
    vars.customer = {
      ...(f.customerName ? { name: f.customerName } : {}),
      ...(f.remark ? { remark: f.remark } : {}),
      ...(f.corpName ? { corpName: f.corpName } : {}),
    };
    const fields: Record<string, unknown> = Object.create(null);
    for (const v of await fieldValuesOf(ex, corpScope(corpId), ids.externalUserId)) fields[v.key] = v.value;
    vars.fields = fields;
  }
  if (ids.userId) vars.rep = { ...(f.repName ? { name: f.repName } : {}), ...(f.repPosition ? { position: f.repPosition } : {}) };
  return vars;
}
