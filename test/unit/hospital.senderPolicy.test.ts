import { checkSender, normaliseAddress, type SenderInstitution } from '../../domain/hospital/senderPolicy';

const hospital: SenderInstitution = { id: 'H1', kind: 'hospital', allowedAddresses: ['10.0.0.5', '2001:db8::7'] };

describe('who may send HL7 for a hospital', () => {
  it('accepts a registered source address, also as an IPv4-mapped IPv6 peer', () => {
    expect(checkSender('H1', hospital, { remoteAddress: '10.0.0.5' })).toEqual({ ok: true, institutionId: 'H1' });
    expect(checkSender('H1', hospital, { remoteAddress: '::ffff:10.0.0.5' })).toEqual({ ok: true, institutionId: 'H1' });
    expect(checkSender('H1', hospital, { remoteAddress: '2001:DB8::7' })).toEqual({ ok: true, institutionId: 'H1' });
  });

  it('refuses an unregistered source, an unknown facility, a non-hospital and an empty MSH-4, saying why', () => {
    expect(checkSender('H1', hospital, { remoteAddress: '10.0.0.6' })).toEqual({
      ok: false,
      reason: 'source address 10.0.0.6 is not registered for H1',
    });
    expect(checkSender('H2', undefined, { remoteAddress: '10.0.0.5' })).toEqual({ ok: false, reason: 'unknown sending facility H2' });
    expect(checkSender('T1', { ...hospital, id: 'T1', kind: 'transit' }, { remoteAddress: '10.0.0.5' })).toMatchObject({ ok: false });
    expect(checkSender(undefined, hospital, { remoteAddress: '10.0.0.5' })).toEqual({
      ok: false,
      reason: 'MSH-4 (sending facility) is empty',
    });
  });

  it('lets a verified client certificate speak only for the hospital it names, wherever it connects from', () => {
    expect(checkSender('H1', hospital, { remoteAddress: '192.0.2.1', peerCertificateCn: 'H1' })).toEqual({ ok: true, institutionId: 'H1' });
    expect(checkSender('H1', hospital, { remoteAddress: '10.0.0.5', peerCertificateCn: 'H9' })).toEqual({
      ok: false,
      reason: "client certificate is not H1's",
    });
  });

  it('takes an institution the transport authenticated (signed HTTP) only for itself', () => {
    expect(checkSender('H1', hospital, { remoteAddress: 'http', authenticatedInstitution: 'H1' })).toEqual({
      ok: true,
      institutionId: 'H1',
    });
    expect(checkSender('H1', hospital, { remoteAddress: '10.0.0.5', authenticatedInstitution: 'H2' })).toEqual({
      ok: false,
      reason: 'MSH-4 names another institution',
    });
  });

  it('normalises only IPv4-mapped addresses', () => {
    expect(normaliseAddress(' ::FFFF:127.0.0.1 ')).toBe('127.0.0.1');
    expect(normaliseAddress('::ffff')).toBe('::ffff');
  });
});
