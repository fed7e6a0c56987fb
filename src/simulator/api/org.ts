import type { SimCore } from '../core';
import { decodeCursor, encodeCursor } from '../cursor';
import { fail } from '../errors';
import { optionalInt, optionalString } from '../input';
import type { ApiRegistry } from '../registry';
import { idsFrom } from '../registry';
import type { Department, Employee } from '../world/state';

/** user/get, user/list_id, department/list (API-NOTES §4.16). */
export function registerOrgApi(api: ApiRegistry, core: SimCore): void {
  const { world } = core;

  api.add({
    path: 'user/get', method: 'GET', ids: idsFrom.query('userid'),
    handle: ({ query }) => {
      const userid = query.userid;
      if (!userid) return fail(40003);
      // A member the admin deleted (离职) no longer exists in the address book: 60111, not status 5.
      const e = world.activeEmployee(userid);
      if (!e) return fail(60111);
      return userView(e);
    },
  });

  api.add({
    path: 'user/list_id', method: 'POST',
    emptyOnFailure: { next_cursor: '', dept_user: [] },
    handle: ({ body }) => {
      const limit = optionalInt(body.limit, 'limit') ?? 10000;
      if (limit < 1 || limit > 10000) return fail(40058, 'limit must be 1-10000');
      const start = decodeCursor<{ o: number }>('user/list_id', body.cursor, { o: 'number' })?.o ?? 0;
      const rows: Array<{ userid: string; department: number }> = [];
      for (const e of world.activeEmployees()) for (const d of e.department) rows.push({ userid: e.userid, department: d });
      const page = rows.slice(start, start + limit);
      const next = start + page.length;
      return { next_cursor: next < rows.length ? encodeCursor('user/list_id', { o: next }) : '', dept_user: page };
    },
  });

  api.add({
    path: 'department/list', method: 'GET', ids: idsFrom.query('id'),
    emptyOnFailure: { department: [] },
    handle: ({ query }) => {
      const raw = optionalString(query.id, 'id');
      const all = [...world.departments.values()];
      if (raw === undefined || raw === '') return { department: all.map(departmentView) };
      const id = Number(raw);
      if (!world.departments.has(id)) return fail(60123);
      const inTree = new Set([id]);
      // Parents always precede children in id order here (seeded that way), but loop until stable anyway.
      for (let grew = true; grew;) {
        grew = false;
        for (const d of all) if (!inTree.has(d.id) && inTree.has(d.parentid)) { inTree.add(d.id); grew = true; }
      }
      return { department: all.filter((d) => inTree.has(d.id)).map(departmentView) };
    },
  });
}

/** What a newly created self-built app sees since 2022-06-20: no avatar, gender, mobile, email, address. */
function userView(e: Employee) {
  return {
    userid: e.userid, name: e.name, department: e.department, order: e.order, position: e.position,
    is_leader_in_dept: e.is_leader_in_dept, direct_leader: e.direct_leader, main_department: e.main_department,
    status: e.status, alias: e.alias, telephone: '', extattr: { attrs: [] }, external_position: '',
  };
}

const departmentView = (d: Department) => ({
  id: d.id, name: d.name, name_en: d.name_en, department_leader: d.department_leader, parentid: d.parentid, order: d.order,
});
