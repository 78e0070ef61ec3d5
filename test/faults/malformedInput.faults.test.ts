import { SCALED_OUT } from '../helpers/hospitalDriver';
import { randomInt, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { RegisterUserRequest } from '../../api/schemas/users';
import { BookVisitRequest } from '../../api/schemas/visits';
import { checkResidentId } from '../../domain/residentId';
import { parseAck, peekHeader, type Acknowledgement } from '../../integrations/hospital/hl7';
import { parseInbound } from '../../integrations/hospital/inbound/apply';
import { senderOf, syntheticMessageId } from '../../integrations/hospital/inbound/store';
import { signNotification } from '../../integrations/payment/simulator/signing';
import { fixture, withField, withoutSegment } from '../fixtures/hl7';
import { startTestPlatform, TEST_KEYS, type TestPlatform } from '../helpers/platform';
import { PartnerApi, type ApiAnswer, type Problem } from './helpers/api';
import { openHospital, verifiedUser, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { checkInvariants } from './helpers/invariants';
import { CR, FS, VT, exchangeRaw, framed } from './helpers/mllpRaw';
import { until } from '../helpers/poll';

/**
 * Drill 1: malformed input from outside, over the real sockets. HL7 over the real MLLP listener into
 * the real inbound pipeline (inbox + ACK), and generated request bodies against the real HTTP
 * routes. Nothing may crash a listener, nothing may be a 5xx, every rejection says what was wrong
 * and every HL7 message that arrived whole is in the inbox.
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let user: string;
let mllpPort: number;
const RUN = randomUUID().slice(0, 6).toUpperCase();
let seq = 0;
// Fixed width with a closing letter that RUN (hex) never holds: a truncated id is never another case's whole id.
const controlId = (): string => `FX${RUN}${String(++seq).padStart(6, '0')}Q`;
/** fast-check: reproducible per run when FC_SEED is set, otherwise random (the seed is printed on failure). */
const fcParams = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
});

/**
 * The drill hospital's own source address: every simulated hospital of the run is also reachable at
 * 127.0.0.1, and an unreadable MSH-4 is the hospital's only when the connection proves exactly one.
 */
const DRILL_FROM = `127.${1 + randomInt(250)}.${1 + randomInt(250)}.8`;

beforeAll(async () => {
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: SCALED_OUT });
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  hospital = await openHospital(p, { doctors: 1 });
  mllpPort = p.api.mllpPort ?? 0;
  await p.services.db.query(
    `UPDATE institutions SET settings = settings || jsonb_build_object('mllpAllowedSources', jsonb_build_array($2::text)) WHERE id = $1`,
    [hospital.id, DRILL_FROM],
  );
  user = await verifiedUser(api, p);
  // The listener's allow list reloads on a miss at most once a second: wait until it admits the address.
  await until(
    'the drill address admitted',
    async () => {
      const { acks } = await exchangeRaw(mllpPort, framed(validMessage().raw), { localAddress: DRILL_FROM, expectAcks: 1 });
      return parseAck(acks[0] ?? '').ackCode === 'AA';
    },
    { timeoutMs: 70_000 },
  );
}, 120_000);
afterAll(async () => {
  await hospital?.stop();
  await p?.stop();
}, 30_000);

interface InboxRow {
  status: string;
  error: string | null;
  message_type: string | null;
}
async function inboxRow(sender: string, messageId: string): Promise<InboxRow | undefined> {
  const rows: InboxRow[] = await p.services.db.query(
    `SELECT status, error, message_type FROM inbox_messages WHERE channel = 'hl7' AND sender = $1 AND message_id = $2`,
    [sender, messageId],
  );
  return rows[0];
}

// ------------------------------------------------------------------------------------------------
// HL7 corpus
// ------------------------------------------------------------------------------------------------

/** Valid messages of every inbound kind, re-addressed to this drill's hospital with a fresh MSH-10. */
const BASES = [
  'siu_s12_v251.hl7',
  'siu_s12_v231.hl7',
  'oml_o21_v251.hl7',
  'orm_o01_v231.hl7',
  'oru_r01_v251.hl7',
  'adt_a08_v251.hl7',
  'dft_p03_v231.hl7',
];
function base(name: string, cid = controlId()): string {
  return withField(withField(fixture(name), 'MSH', 4, hospital.id), 'MSH', 10, cid);
}

/** A valid SIU^S14 (the HIS echoing a booking change): always accepted and applied. */
function validMessage(): { raw: string; cid: string } {
  const cid = controlId();
  return { raw: withField(base('siu_s12_v251.hl7', cid), 'MSH', 9, 'SIU^S14^SIU_S12'), cid };
}

/** The listener still answers a good message with AA after whatever came before. */
async function expectStillServing(): Promise<void> {
  const { raw, cid } = validMessage();
  const { acks } = await exchangeRaw(mllpPort, framed(raw), { localAddress: DRILL_FROM, expectAcks: 1 });
  const ack = parseAck(acks[0] ?? '');
  expect(ack).toMatchObject({ ackCode: 'AA', ackedControlId: cid });
  await until(`valid message ${cid} applied`, async () => (await inboxRow(`HIS^${hospital.id}`, cid))?.status === 'applied');
}

/** Never a frame delimiter inside a payload: those bytes are the framing, not content. */
/** Without NUL characters (the text of a string, as a replaceAll avoids a control character in a regex). */
const NUL = String.fromCharCode(0);
const withoutNul = (s: string): string => s.replaceAll(NUL, '');

const noFraming = (b: Uint8Array): Buffer => Buffer.from(b.map((x) => (x === VT || x === FS ? 0x20 : x)));

type Case = { kind: string; payload: Buffer; mustReject: boolean };

const hl7Case: fc.Arbitrary<Case> = fc.oneof(
  // Wrong encoding characters in MSH-2.
  fc
    .record({
      b: fc.constantFrom(...BASES),
      enc: fc.oneof(
        fc.constantFrom('^~\\', '^^\\&', '', '^~\\&#x', '&&&&'),
        fc.string({ maxLength: 6 }).filter((s) => !s.includes('|')),
      ),
    })
    .map(({ b, enc }) => ({ kind: 'encoding', payload: Buffer.from(withField(base(b), 'MSH', 2, enc)), mustReject: false })),
  // No MSH at all.
  fc.constantFrom(...BASES).map((b) => ({ kind: 'missing-msh', payload: Buffer.from(withoutSegment(base(b), 'MSH')), mustReject: true })),
  // Wrong types in header fields the parser must type-check.
  fc
    .record({
      b: fc.constantFrom(...BASES),
      field: fc.constantFrom(7, 9, 11, 12),
      value: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('yesterday', '2024-13-45', '-1', '9.9', 'X', 'ZZZ^Z99', '1e309', '²⁰²⁴'),
      ),
    })
    // NUL bytes in header fields are left to their own (known-bug) test below.
    .map(({ b, field, value }) => ({
      kind: `wrong-type MSH-${field}`,
      payload: Buffer.from(withField(base(b), 'MSH', field, withoutNul(value).replace(/[|\r\n]/g, ''))),
      mustReject: false,
    })),
  // Wrong amounts in the order charges: negative, huge, not a number, too many decimals.
  fc.constantFrom('-5&CNY', '-0.01&CNY', '99999999999999999999&CNY', 'abc&CNY', '1.234&CNY', '1e6&CNY', '17.60&XXX', '').map((amount) => ({
    kind: `amount ${amount}`,
    payload: Buffer.from(withField(base('oml_o21_v251.hl7'), 'FT1', 11, amount)),
    mustReject: false,
  })),
  // Truncated anywhere.
  fc.record({ b: fc.constantFrom(...BASES), at: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ b, at }) => {
    const raw = base(b);
    return { kind: 'truncated', payload: Buffer.from(raw.slice(0, Math.floor(raw.length * at))), mustReject: false };
  }),
  // A garbled segment name.
  fc.record({ b: fc.constantFrom(...BASES), name: fc.string({ minLength: 1, maxLength: 4 }) }).map(({ b, name }) => {
    const raw = base(b);
    const lines = raw.split('\r');
    lines[1] = withoutNul(name).replace(/[|\r]/g, '') + (lines[1] ?? '').slice(3);
    return { kind: 'garbled-segment', payload: Buffer.from(lines.join('\r')), mustReject: false };
  }),
  // Not HL7 at all: binary, and arbitrary unicode text.
  fc.uint8Array({ minLength: 0, maxLength: 3000 }).map((b) => ({ kind: 'binary', payload: noFraming(b), mustReject: true })),
  fc
    .string({ unit: 'grapheme', maxLength: 400 })
    .map((s) => ({ kind: 'unicode-text', payload: noFraming(Buffer.from(s, 'utf8')), mustReject: true })),
);

describe('HL7 over the real MLLP listener', () => {
  it('injects a generated corpus of malformed frames (bad encoding characters, no MSH, wrong types and amounts, truncation, binary, unicode); checks each gets one ACK — AE/AR with ERR echoing MSA-2 when the parser rejects it, AA only when it parses, AR unstored when MSH-4 names no hospital here — and is in the inbox (failed with its error, or applied/failed-with-error), and the listener keeps serving', async () => {
    const seen = { rejected: 0, accepted: 0, refusedSender: 0 };
    await fc.assert(
      fc.asyncProperty(hl7Case, async (c) => {
        // What the listener sees is the frame's bytes decoded as UTF-8.
        const text = c.payload.toString('utf8');
        let parses = true;
        try {
          parseInbound(text);
        } catch {
          parses = false;
        }
        if (c.mustReject) expect(parses).toBe(false);
        const { acks, closedByPeer } = await exchangeRaw(mllpPort, framed(c.payload), { localAddress: DRILL_FROM, expectAcks: 1 });
        expect(closedByPeer).toBe(false);
        expect(acks).toHaveLength(1);
        const ack: Acknowledgement = parseAck(acks[0] ?? '');
        const peek = peekHeader(text);
        // Stored under the institution the connection authenticated: this drill's hospital.
        const sender = senderOf(peek, hospital.id);
        const messageId = peek.controlId ?? syntheticMessageId(text);
        // MLLP has no authentication: a message is the hospital's when it comes from the hospital's
        // registered address. One naming a facility that is no hospital here (a mangled MSH-4) is
        // refused with AR and not stored; an unreadable MSH-4 from a hospital's address counts as its own.
        if (peek.sendingFacility !== undefined && peek.sendingFacility !== hospital.id) {
          seen.refusedSender += 1;
          expect(ack.ackCode).toBe('AR');
          expect(ack.errors.length).toBeGreaterThan(0);
          expect(ack.ackedControlId).toBe(peek.controlId ?? '');
          expect(await inboxRow(sender, messageId)).toBeUndefined();
          return;
        }
        if (parses) {
          seen.accepted += 1;
          expect(ack.ackCode).toBe('AA');
          // Accepted: applied, or (a message for a visit Causeway does not know) failed with its reason.
          const row = await until(
            `inbox row ${messageId} settled`,
            async () => {
              const r = await inboxRow(sender, messageId);
              return r && r.status !== 'received' ? r : undefined;
            },
            { timeoutMs: 15_000 },
          );
          if (row.status === 'failed') expect(row.error).toBeTruthy();
          else expect(row.status).toBe('applied');
        } else {
          seen.rejected += 1;
          expect(['AE', 'AR']).toContain(ack.ackCode);
          expect(ack.errors.length).toBeGreaterThan(0);
          expect(acks[0]).toMatch(/(^|\r)ERR\|/);
          expect(ack.ackedControlId).toBe(peek.controlId ?? '');
          const row = await inboxRow(sender, messageId);
          expect(row).toMatchObject({ status: 'failed' });
          expect(row?.error).toBeTruthy();
        }
      }),
      fcParams(120),
    );
    // The corpus is mostly rejections: a property that only ever saw valid messages proves nothing.
    expect(seen.rejected).toBeGreaterThan(seen.accepted);
    await expectStillServing();
  }, 60_000);

  it('injects frames that never end (start block, part of a message, no end block) and junk outside frames; checks no ACK and nothing stored for the partial, a frame started after it on the same connection is answered AA, and the listener keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          b: fc.constantFrom(...BASES),
          at: fc.double({ min: 0, max: 1, noNaN: true }),
          junk: fc.uint8Array({ maxLength: 200 }),
          followUp: fc.boolean(),
        }),
        async ({ b, at, junk, followUp }) => {
          const cid = controlId();
          const raw = base(b, cid);
          const partial = Buffer.concat([
            noFraming(junk),
            Buffer.from([VT]),
            Buffer.from(raw.slice(0, Math.floor(raw.length * at)), 'utf8'),
          ]);
          if (!followUp) {
            const { acks, closedByPeer } = await exchangeRaw(mllpPort, partial, { localAddress: DRILL_FROM, expectAcks: 0, quietMs: 200 });
            expect(acks).toEqual([]);
            expect(closedByPeer).toBe(false);
          } else {
            // The sender gave up on the partial frame and starts a new one: the new one is answered.
            const next = validMessage();
            const { acks } = await exchangeRaw(mllpPort, Buffer.concat([partial, framed(next.raw)]), {
              localAddress: DRILL_FROM,
              expectAcks: 1,
            });
            expect(acks).toHaveLength(1);
            expect(parseAck(acks[0] ?? '')).toMatchObject({ ackCode: 'AA', ackedControlId: next.cid });
          }
          expect(await inboxRow(`HIS^${hospital.id}`, cid)).toBeUndefined();
        },
      ),
      fcParams(25),
    );
    await expectStillServing();
  }, 60_000);

  it('injects a frame larger than the 10 MiB limit; checks the connection is closed without an ACK and the listener keeps serving', async () => {
    const huge = Buffer.concat([
      Buffer.from([VT]),
      Buffer.from('MSH|^~\\&|HIS|X|'),
      Buffer.alloc(10 * 1024 * 1024 + 16, 0x41),
      Buffer.from([FS, CR]),
    ]);
    const { acks, closedByPeer } = await exchangeRaw(mllpPort, huge, {
      localAddress: DRILL_FROM,
      expectAcks: 0,
      quietMs: 3_000,
      timeoutMs: 20_000,
    });
    expect(acks).toEqual([]);
    expect(closedByPeer).toBe(true);
    await expectStillServing();
  }, 60_000);

  it('checks the inbox invariant over everything the corpus left: no message stored but neither applied nor failed, no failure without its error', async () => {
    const report = await checkInvariants({
      db: p.services.db,
      temporal: p.services.temporal,
      paymentSim: p.payment.sim,
      institutionIds: [hospital.id],
      hl7FailuresAllowed: true,
    });
    expect(report.violations).toEqual([]);
    expect(report.counts.hl7).toBeGreaterThan(25);
  }, 30_000);
});

// ------------------------------------------------------------------------------------------------
// HTTP bodies
// ------------------------------------------------------------------------------------------------

/** Values of every wrong kind, plus plausible ones, for any one field. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u0000abc',
    'x\u202Ey',
    '\uD800',
    '😀'.repeat(40),
    "Robert'); DROP TABLE users;--",
    '<script>',
    '\\',
    '%00',
  ),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => Number(n)),
  fc.constantFrom(-1, -0.01, 0, Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.integer({ min: 65, max: 120_000 }).map((n) => 'é'.repeat(n)),
);
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq: 6 });

function isProblem(res: ApiAnswer<unknown>): res is ApiAnswer<Problem> {
  return res.contentType.startsWith('application/problem+json') && typeof res.body === 'object' && res.body !== null && 'code' in res.body;
}

/** The answer is a 4xx problem+json whose errors name at least `fields`. */
function expectProblemNaming(res: ApiAnswer<unknown>, fields: string[]): void {
  if (res.status >= 500 || res.status < 400) throw new Error(`expected a 4xx problem, got ${res.status}: ${res.text.slice(0, 500)}`);
  if (!isProblem(res)) throw new Error(`expected application/problem+json, got ${res.contentType}: ${res.text.slice(0, 300)}`);
  expect(res.body.status).toBe(res.status);
  const named = (res.body.errors ?? []).map((e) => e.field);
  for (const f of fields) if (!named.includes(f)) throw new Error(`problem does not name ${f}: ${JSON.stringify(res.body).slice(0, 500)}`);
}

/** Fields of `schema` (a zod object) that `body` gets wrong, named as the API names them. */
function invalidFields(schema: typeof RegisterUserRequest | typeof BookVisitRequest, body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['body'];
  const parsed = schema.safeParse(body);
  if (parsed.success) return [];
  return [...new Set(parsed.error.issues.map((i) => ['body', ...i.path.map(String)].join('.')))];
}

const MAX_JSON_BYTES = 256 * 1024;

describe('HTTP bodies against the real routes', () => {
  afterEach(async () => {
    // Whatever came before, the server keeps serving.
    expect((await fetch(`${p.api.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('injects generated POST /v1/users bodies (wrong types, huge and unicode strings, numbers of every size); checks each is a 4xx problem+json naming every bad field, never a 5xx, and no user is created', async () => {
    const body = fc.record(
      {
        legalName: maybe(fc.oneof(anyValue, fc.constantFrom('张三', "Zoë O'Brien"))),
        idNumber: maybe(fc.oneof(anyValue, fc.stringMatching(/^\d{17}[\dX]$/))),
        phone: maybe(fc.oneof(anyValue, fc.constantFrom('13800000000', '+8613800000000'))),
      },
      { requiredKeys: [] },
    );
    const before: Array<{ n: string }> = await p.services.db.query('SELECT count(*) AS n FROM users WHERE partner_id = $1', [p.partner.id]);
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const json = JSON.stringify(b);
        let expected = invalidFields(RegisterUserRequest, b);
        if (Buffer.byteLength(json) > MAX_JSON_BYTES) expected = ['body'];
        else if (expected.length === 0) {
          // Well-formed: only the offline ID check can refuse it now.
          fc.pre(!checkResidentId(String(b.idNumber), new Date()).ok);
          expected = ['body.idNumber'];
        }
        const res = await api.call('POST', '/v1/users', { raw: json });
        expectProblemNaming(res, expected);
      }),
      fcParams(80),
    );
    const after: Array<{ n: string }> = await p.services.db.query('SELECT count(*) AS n FROM users WHERE partner_id = $1', [p.partner.id]);
    expect(after[0]?.n).toBe(before[0]?.n);
  }, 60_000);

  it('injects top-level bodies that are not objects, not JSON, or too large, to POST /v1/users and POST /v1/visits; checks a 4xx problem+json naming the body, never a 5xx', async () => {
    const raw = fc.oneof(
      fc
        .jsonValue()
        .filter((j) => typeof j !== 'object' || j === null || Array.isArray(j))
        .map((j) => JSON.stringify(j)),
      fc.string({ maxLength: 200 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc.constantFrom('{', '{"legalName":', '{"a":1}}', '\u0000', '[1,2', 'null', '"x"', '1e309'),
      fc.integer({ min: MAX_JSON_BYTES + 1, max: MAX_JSON_BYTES + 4096 }).map((n) => `{"legalName":"${'a'.repeat(n)}"}`),
    );
    await fc.assert(
      fc.asyncProperty(raw, fc.constantFrom('/v1/users', '/v1/visits'), async (text, path) => {
        const res = await api.call('POST', path, { raw: text, user: path === '/v1/visits' ? user : null });
        // An empty body is an empty object to the JSON parser (then every required field is named instead);
        // whitespace alone is not JSON.
        const empty = text === '';
        expectProblemNaming(res, empty ? invalidFields(path === '/v1/users' ? RegisterUserRequest : BookVisitRequest, {}) : ['body']);
      }),
      fcParams(50),
    );
  }, 60_000);

  it('injects generated POST /v1/visits bodies (wrong types, unicode, NUL bytes, huge ids) for a verified user; checks each is a 4xx problem+json (naming the bad fields when the shape is wrong), never a 5xx, and no slot is held', async () => {
    // Mostly this drill's real hospital, so the slot id reaches the database. NUL bytes are left to their own (known-bug) test.
    const stripNul = (x: unknown): unknown => (typeof x === 'string' ? withoutNul(x) : x);
    const body = fc.record(
      {
        institutionId: maybe(fc.oneof({ arbitrary: anyValue, weight: 1 }, { arbitrary: fc.constant(hospital.id), weight: 3 })),
        slotId: maybe(
          fc
            .oneof(anyValue, fc.constant(`${hospital.id}:NOPE`), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }))
            .map(stripNul),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const json = JSON.stringify(b);
        const expected = Buffer.byteLength(json) > MAX_JSON_BYTES ? ['body'] : invalidFields(BookVisitRequest, b);
        const res = await api.call('POST', '/v1/visits', { raw: json, user });
        expectProblemNaming(res, expected);
        // A well-formed body for a hospital or slot that does not exist is a 404, not a field error.
        if (expected.length === 0) expect(res.status).toBe(404);
      }),
      fcParams(80),
    );
    const held: unknown[] = await p.services.db.query(`SELECT 1 FROM slots WHERE institution_id = $1 AND status <> 'free'`, [hospital.id]);
    expect(held).toEqual([]);
  }, 60_000);

  it('injects payment notifications signed with the platform key but carrying negative, huge, non-numeric and over-precise amounts, bad times and statuses; checks a 4xx problem+json naming the field, or (well-formed, wrong amount) a stored failed inbox row with its reason — never a 5xx, never a paid payment', async () => {
    const outTradeNo = `MF${RUN}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await p.services.db.query(
      `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, status) VALUES ($1, $2, 'registration', $3, 'u_malformed', 2500, 'CNY', 'created')`,
      [outTradeNo, `malformed/${outTradeNo}`, hospital.id],
    );
    const field = fc.oneof(
      fc.record({
        name: fc.constant('total_amount'),
        value: fc.oneof(
          fc.constantFrom('-25.00', '-0.01', '99999999999999999999.99', '1e3', 'abc', '25.001', '', ' 25.00', '25,00', 'NaN', '０.０１'),
          fc.integer().map(String),
          fc.string({ maxLength: 12 }),
        ),
      }),
      // Times of the right shape that are not real times are left to their own (known-bug) test.
      fc.record({
        name: fc.constant('notify_time'),
        value: fc.oneof(fc.constantFrom('yesterday', '2024-02-30', '', '2024-05-01T08:00:00Z'), fc.string({ maxLength: 20 })),
      }),
      fc.record({
        name: fc.constant('trade_status'),
        value: fc.oneof(fc.constantFrom('PAID', 'trade_success', '', 'TRADE_SUCCESS '), fc.string({ maxLength: 12 })),
      }),
    );
    await fc.assert(
      fc.asyncProperty(field, fc.boolean(), async ({ name, value }, wrongContentType) => {
        const params: Record<string, string> = {
          notify_time: new Date().toISOString().replace('T', ' ').slice(0, 19),
          notify_type: 'trade_status_sync',
          notify_id: randomUUID().replace(/-/g, ''),
          app_id: p.payment.sim.appId,
          charset: 'utf-8',
          version: '1.0',
          trade_no: `2024${Date.now()}`,
          out_trade_no: outTradeNo,
          trade_status: 'TRADE_SUCCESS',
          total_amount: '25.00',
          [name]: value,
        };
        const signed = signNotification(params, p.payment.keys.platform.privateKeyPem);
        // Also as JSON with a non-string value: the route takes a form of strings only.
        const res = wrongContentType
          ? await api.call('POST', '/v1/payments/notifications', {
              raw: JSON.stringify({ ...signed, [name]: value === '' ? null : Number.isNaN(Number(value)) ? [value] : Number(value) }),
            })
          : await api.call('POST', '/v1/payments/notifications', {
              raw: new URLSearchParams(signed).toString(),
              contentType: 'application/x-www-form-urlencoded',
            });
        if (res.status === 200) {
          // Accepted only when well-formed: then it is kept for an operator, never applied to the order.
          expect(wrongContentType).toBe(false);
          expect(res.text).toBe('success');
          const rows: Array<{ status: string; error: string | null }> = await p.services.db.query(
            `SELECT status, error FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = $1`,
            [params.notify_id],
          );
          expect(rows).toHaveLength(1);
          if (rows[0]?.status !== 'applied') expect(rows[0]?.error).toBeTruthy();
          return;
        }
        if (!wrongContentType && name === 'total_amount' && res.status === 422) {
          // Known defect (own test below): amounts refused after parsing are named `amount`, not `total_amount`.
          expect((res.body as Problem).errors?.map((e) => e.field).some((f) => f === 'total_amount' || f === 'amount')).toBe(true);
          return;
        }
        expectProblemNaming(res, wrongContentType ? [`body.${name}`] : [name]);
      }),
      fcParams(60),
    );
    const [payment] = await p.services.db.query('SELECT status FROM payments WHERE out_trade_no = $1', [outTradeNo]);
    expect(payment.status).toBe('created');
    const ledger: unknown[] = await p.services.db.query('SELECT 1 FROM ledger_entries WHERE out_trade_no = $1', [outTradeNo]);
    expect(ledger).toEqual([]);
  }, 60_000);

  it('injects unsigned and forged payment notifications of random fields; checks a 4xx problem+json (invalid signature), never a 5xx, nothing stored', async () => {
    const form = fc.dictionary(
      fc.oneof(
        fc.constantFrom('sign', 'sign_type', 'out_trade_no', 'total_amount', 'notify_id', 'app_id', 'trade_status'),
        fc.string({ maxLength: 10 }),
      ),
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      { maxKeys: 12 },
    );
    // An unknown sign_type next to a signature is left to its own (known-bug) test.
    const withoutKnownBug = form.map((f) =>
      f.sign && f.sign_type !== undefined && !['RSA2', 'RSA'].includes(f.sign_type) ? { ...f, sign_type: 'RSA2' } : f,
    );
    await fc.assert(
      fc.asyncProperty(withoutKnownBug, async (f) => {
        const res = await api.call('POST', '/v1/payments/notifications', {
          raw: new URLSearchParams(f).toString(),
          contentType: 'application/x-www-form-urlencoded',
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(isProblem(res)).toBe(true);
        if (f.notify_id) {
          const rows: unknown[] = await p.services.db.query(
            `SELECT 1 FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = $1`,
            [f.notify_id],
          );
          expect(rows).toEqual([]);
        }
      }),
      fcParams(40),
    );
  }, 60_000);
});

/**
 * Defects these drills found. Each asserts the correct behaviour and fails today, so the suite stays
 * green while they are open; jest reports "failing test passed" once one is fixed: then drop `.failing`.
 */
describe('every POST operation of the OpenAPI document', () => {
  it('injects generated bodies (JSON of any shape, form posts, text) and path parameters into every POST operation listed in /openapi.json, with partner or operator credentials; checks each answer is a 2xx or a 4xx problem+json, never a 5xx, and the server keeps serving', async () => {
    const doc = (await (await fetch(`${p.api.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const posts = Object.keys(doc.paths).filter((k) => doc.paths[k]?.post !== undefined);
    expect(posts).toEqual(
      expect.arrayContaining([
        '/v1/users',
        '/v1/visits',
        '/v1/payments/notifications',
        '/v1/visits/{bookingRef}/check-in',
        '/codec/decode',
      ]),
    );
    // NUL characters and a stray sign_type are left to their own (known-bug) tests.
    const clean = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v ?? null, (k, x: unknown) => (k === 'sign_type' ? undefined : typeof x === 'string' ? withoutNul(x) : x)));
    const body = fc.oneof(
      fc.record({
        kind: fc.constant('json' as const),
        value: fc.oneof(
          fc.jsonValue(),
          fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 6 }),
          fc.record({
            payloads: fc.array(
              fc.record(
                {
                  metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })),
                  data: fc.oneof(fc.base64String({ maxLength: 60 }), fc.string({ maxLength: 20 })),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 3 },
            ),
          }),
        ),
      }),
      fc.record({
        kind: fc.constant('form' as const),
        value: fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 40 }), { maxKeys: 8 }),
      }),
      fc.record({ kind: fc.constant('text' as const), value: fc.string({ unit: 'grapheme', maxLength: 200 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...posts),
        fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), { minLength: 3, maxLength: 3 }),
        body,
        fc.boolean(),
        async (route, params, b, asOperator) => {
          let i = 0;
          const path = route.replace(/\{[^}]+\}/g, () => encodeURIComponent(withoutNul(params[i++] ?? 'x')) || 'x');
          const headers: Record<string, string> = asOperator ? { authorization: `Bearer ${TEST_KEYS.operatorToken}` } : {};
          const opts =
            b.kind === 'json'
              ? { raw: JSON.stringify(clean(b.value)) }
              : b.kind === 'form'
                ? {
                    raw: new URLSearchParams(clean(b.value) as Record<string, string>).toString(),
                    contentType: 'application/x-www-form-urlencoded',
                  }
                : { raw: withoutNul(b.value), contentType: 'text/plain' };
          const res = await api.call('POST', path, { ...opts, user, headers });
          if (res.status >= 500) throw new Error(`POST ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
          if (res.status >= 400)
            expect({ path, contentType: res.contentType }).toEqual({
              path,
              contentType: expect.stringContaining('application/problem+json'),
            });
        },
      ),
      fcParams(150),
    );
  }, 120_000);
});

describe('defects this drill found (fixed; kept as regressions)', () => {
  function signedNotification(over: Record<string, string>): string {
    const params: Record<string, string> = {
      notify_time: '2030-01-01 08:00:00',
      notify_type: 'trade_status_sync',
      notify_id: randomUUID().replace(/-/g, ''),
      app_id: p.payment.sim.appId,
      charset: 'utf-8',
      version: '1.0',
      trade_no: `2024${Date.now()}`,
      out_trade_no: `KB${RUN}`,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '25.00',
      ...over,
    };
    return new URLSearchParams(signNotification(params, p.payment.keys.platform.privateKeyPem)).toString();
  }
  const form = { contentType: 'application/x-www-form-urlencoded' };

  it('sends HL7 with a NUL byte in MSH-10 and checks it gets a rejecting ACK with ERR and is kept as a failed inbox row', async () => {
    const prefix = controlId();
    const raw = base('siu_s12_v251.hl7', `${prefix}\u0000`);
    const { acks } = await exchangeRaw(mllpPort, framed(raw), { localAddress: DRILL_FROM, expectAcks: 1 });
    const ack = parseAck(acks[0] ?? '');
    expect(['AE', 'AR']).toContain(ack.ackCode);
    expect(ack.errors.length).toBeGreaterThan(0);
    // Looked up by prefix: a query parameter holding NUL is itself refused by PostgreSQL.
    const rows: InboxRow[] = await p.services.db.query(
      `SELECT status, error, message_type FROM inbox_messages WHERE channel = 'hl7' AND sender = $1 AND message_id LIKE $2`,
      [`HIS^${hospital.id}`, `${prefix}%`],
    );
    expect(rows).toEqual([expect.objectContaining({ status: 'failed' })]);
  }, 60_000);

  it('posts /v1/visits with a NUL byte in slotId and checks a 4xx problem, not a 500', async () => {
    const res = await api.call('POST', '/v1/visits', { body: { institutionId: hospital.id, slotId: 'a\u0000b' }, user });
    expect(res.status).toBeLessThan(500);
  }, 60_000);

  it('posts a payment notification with an unknown sign_type next to a signature and checks 401 invalid_signature', async () => {
    const res = await api.call('POST', '/v1/payments/notifications', { raw: 'sign_type=RSA3&sign=abc&out_trade_no=x', ...form });
    expect(res.status).toBe(401);
  }, 60_000);

  it('posts a signed notification whose notify_time has the right shape but is no real time and checks a 422 naming notify_time', async () => {
    const res = await api.call('POST', '/v1/payments/notifications', {
      raw: signedNotification({ notify_time: '2024-02-30 25:61:61' }),
      ...form,
    });
    expectProblemNaming(res, ['notify_time']);
  }, 60_000);

  it('posts a signed notification with a negative total_amount and checks the 422 names total_amount', async () => {
    const res = await api.call('POST', '/v1/payments/notifications', { raw: signedNotification({ total_amount: '-25.00' }), ...form });
    expectProblemNaming(res, ['total_amount']);
  }, 60_000);
});
