/** The chart plan (src/accounting/chart-plan.ts) on small charts: what is written, and what is not. */
import { describe, expect, it } from 'vitest';
import type { HeldChart } from '../../src/accounting/chart-model.ts';
import { desiredFromHeld } from '../../src/accounting/chart-model.ts';
import { isEmptyPlan, planChart, planCounts } from '../../src/accounting/chart-plan.ts';

const held: HeldChart = {
  gl_accounts: [
    { ramp_id: 'r-a1', id: 'a1', name: 'Travel', code: '6200', classification: 'EXPENSE', is_active: true },
    { ramp_id: 'r-a2', id: 'a2', name: 'Old', code: null, classification: 'EXPENSE', is_active: false },
    { ramp_id: 'r-a3', id: 'a3', name: 'Gone', code: null, classification: 'ASSET', is_active: true },
  ],
  vendors: [{ ramp_id: 'r-v1', id: 'v1', name: 'Slack', code: null, is_active: true }],
  custom_fields: [
    {
      ramp_id: 'r-f1', id: 'f1', name: 'Class', display_name: 'Class', input_type: 'SINGLE_CHOICE', is_splittable: false, is_required_for: [], is_active: true,
      options: [
        { ramp_id: 'r-o1', id: 'o1', value: 'Ops', code: null, is_active: true },
        { ramp_id: 'r-o2', id: 'o2', value: 'R&D', code: null, is_active: true },
      ],
    },
    { ramp_id: 'r-f2', id: 'f2', name: 'Project', display_name: 'Project', input_type: 'SINGLE_CHOICE', is_splittable: false, is_required_for: [], is_active: false, options: [] },
  ],
};

describe('planChart', () => {
  it('the active part of what Ramp holds plans to nothing', () => {
    const desired = desiredFromHeld(held);
    expect(isEmptyPlan(planChart(desired, held))).toBe(true);
  });

  it('creates what is missing, patches what differs, reactivates instead of creating, deletes what is not listed', () => {
    const plan = planChart(
      {
        gl_accounts: [
          { id: 'a1', name: 'Travel & Lodging', classification: 'EXPENSE' },
          { id: 'a2', name: 'Old', classification: 'EXPENSE' },
          { id: 'a4', name: 'New', classification: 'REVENUE', code: '4000' },
        ],
        vendors: [{ id: 'v1', name: 'Slack', code: 'S1' }],
        custom_fields: [
          { id: 'f1', name: 'Class', input_type: 'SINGLE_CHOICE', options: [{ id: 'o1', value: 'Operations' }, { id: 'o3', value: 'Sales' }] },
          { id: 'f2', name: 'Project', input_type: 'SINGLE_CHOICE', options: [{ id: 'p1', value: 'Apollo' }] },
        ],
      },
      held,
    );
    expect(plan.gl_accounts.creates.map((a) => a.id)).toEqual(['a4']);
    // An absent code resets Ramp's ("" in the PATCH); an inactive one is reactivated.
    expect(plan.gl_accounts.updates).toEqual([
      { id: 'a1', rampId: 'r-a1', body: { name: 'Travel & Lodging', code: '' } },
      { id: 'a2', rampId: 'r-a2', body: { reactivate: true } },
    ]);
    expect(plan.gl_accounts.deletes).toEqual([{ id: 'a3', rampId: 'r-a3' }]);
    expect(plan.vendors.updates).toEqual([{ id: 'v1', rampId: 'r-v1', body: { code: 'S1' } }]);
    // An inactive field is brought back by POSTing it again; its options follow once it has a Ramp id.
    expect(plan.custom_fields.creates.map((f) => f.id)).toEqual(['f2']);
    const classOptions = plan.field_options.find((p) => p.fieldId === 'f1')!;
    expect(classOptions).toMatchObject({ fieldRampId: 'r-f1', creates: [{ id: 'o3' }], updates: [{ id: 'o1', body: { value: 'Operations' } }], deletes: [{ id: 'o2' }] });
    expect(plan.field_options.find((p) => p.fieldId === 'f2')).toMatchObject({ fieldRampId: 'r-f2', creates: [{ id: 'p1' }] });
    expect(planCounts(plan)).toEqual({ creates: 4, updates: 4, deletes: 2 });
  });

  it('lists what Ramp cannot change instead of writing it, and skips items already refused in this job', () => {
    const plan = planChart(
      { gl_accounts: [{ id: 'a1', name: 'Travel', classification: 'REVENUE', code: '6200' }, { id: 'a9', name: 'Bad', classification: 'NOPE' }], vendors: [], custom_fields: [{ id: 'f1', name: 'Class', input_type: 'BOOLEAN' }] },
      held,
      new Set(['gl_account:a9']),
    );
    expect(plan.unchangeable).toEqual([
      expect.objectContaining({ kind: 'gl_account', id: 'a1' }),
      expect.objectContaining({ kind: 'custom_field', id: 'f1' }),
    ]);
    expect(plan.gl_accounts.creates).toEqual([]);
    expect(plan.gl_accounts.updates).toEqual([]);
  });
});
