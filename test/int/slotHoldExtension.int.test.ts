import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createSlotRepository, seedSchedule, type SlotRepository } from '../../db/repositories/slots';
import { openTestDb } from '../helpers/db';

/**
 * The hold a visit keeps while its registration fee is pending (issue 9 item 1): extended only for
 * its own held slot, never shortened, and refused once the slot is someone else's or booked.
 */
let ds: DataSource;
let repo: SlotRepository;
const NOW = new Date('2024-03-01T00:00:00Z');
const MIN = 60_000;

beforeAll(async () => {
  ds = await openTestDb(4);
  repo = createSlotRepository(ds);
});
afterAll(async () => {
  await ds?.destroy();
});

async function slot(): Promise<string> {
  const { slotIds } = await seedSchedule(ds, {
    institutionId: `hold-${randomUUID().slice(0, 8)}`,
    departments: [{ id: 'gen', name: 'General' }],
    doctors: [{ id: 'd1', departmentId: 'gen', displayName: 'Dr 1' }],
    days: ['2024-03-02'],
    slotsPerDoctorPerDay: 1,
    feeMinor: 1_500,
    currency: 'CNY',
    opensAt: new Date('2024-02-25T00:00:00Z'),
    timeZone: 'Asia/Shanghai',
  });
  return slotIds[0] ?? '';
}
const heldUntil = async (slotId: string): Promise<Date | null> => {
  const rows: Array<{ held_until: Date | null }> = await ds.query('SELECT held_until FROM slots WHERE id = $1', [slotId]);
  return rows[0]?.held_until ?? null;
};

it('extends the booking’s own hold, never shortens it, and refuses a slot that is not held by the booking', async () => {
  const id = await slot();
  await repo.holdSlot({ slotId: id, bookingRef: 'BA', heldUntil: new Date(NOW.getTime() + 16 * MIN), now: NOW });
  expect(await repo.extendHold(id, 'BA', new Date(NOW.getTime() + 30 * MIN))).toEqual({ extended: true });
  expect(await heldUntil(id)).toEqual(new Date(NOW.getTime() + 30 * MIN));
  expect(await repo.extendHold(id, 'BA', new Date(NOW.getTime() + 5 * MIN))).toEqual({ extended: true });
  expect(await heldUntil(id)).toEqual(new Date(NOW.getTime() + 30 * MIN)); // not shortened
  expect(await repo.extendHold(id, 'BOTHER', new Date(NOW.getTime() + 60 * MIN))).toEqual({ extended: false });
  await repo.confirmSlot(id, 'BA');
  expect(await repo.extendHold(id, 'BA', new Date(NOW.getTime() + 60 * MIN))).toEqual({ extended: false }); // booked: nothing to keep
});
