import { generateKeyPairSync } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { newDeviceKey, rideCodeQr, rideCodeSymbol } from '../../clients/transit/rideCodeQr';
import { MemoryReplayCache, fromQrText, issueCredential, publicKeyFromRaw, verifyCode } from '../../domain/transit/rideCode';

/**
 * The partner app's QR rendering. No QR decoder is installed, so the PNG is checked against the
 * symbol the library computed for our text: a valid PNG whose every module is drawn as the matrix
 * says, with the quiet zone clear, and the symbol's data segments spelling exactly the code's text.
 * Not checked here: that an independent reader recovers the text (error-correction codewords).
 */
const NOW = Date.UTC(2026, 11, 4, 8, 0, 0);
const issuer = generateKeyPairSync('ed25519');
const SCALE = 4;
const MARGIN = 4;

/** An 8-bit RGBA or RGB PNG, decoded with zlib and the five scanline filters of the PNG format. */
function decodePng(png: Buffer): { width: number; height: number; dark(x: number, y: number): boolean } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9] ?? -1] ?? 0;
      expect(channels).toBeGreaterThan(0);
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] ?? 0;
      const a = i >= channels ? (pixels[y * stride + i - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + i] ?? 0) : 0;
      const c = y > 0 && i >= channels ? (pixels[(y - 1) * stride + i - channels] ?? 0) : 0;
      const pa = Math.abs(b - c);
      const pb = Math.abs(a - c);
      const pc = Math.abs(a + b - 2 * c);
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter ?? 0] ?? 0;
      pixels[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return { width, height, dark: (x, y) => (pixels[y * stride + x * channels] ?? 255) < 128 };
}

it('renders a fresh code as a PNG whose modules are the symbol of toQrText(code), and the gate accepts that text', async () => {
  const device = newDeviceKey();
  const credential = issueCredential({
    keyId: 'iss-1',
    issuerPrivateKey: issuer.privateKey,
    operatorId: 'metroville',
    pseudonym: 'Zq3xv0Jt8m2WcP4aLk9sdA',
    riderCategoryId: 'adult',
    devicePublicKey: publicKeyFromRaw(Buffer.from(device.publicKey, 'base64url')),
    validFrom: NOW - 60_000,
    validUntil: NOW + 23 * 3600_000,
  });
  const { text, png } = await rideCodeQr({ credential, devicePrivateKey: device.privateKey, now: NOW, counter: 3 }, { scale: SCALE });

  const symbol = rideCodeSymbol(text);
  const segmentBytes = Buffer.concat(symbol.segments.map((s) => (typeof s.data === 'string' ? Buffer.from(s.data) : Buffer.from(s.data))));
  expect(segmentBytes.toString('utf8')).toBe(text);

  const size = symbol.modules.size;
  const image = decodePng(png);
  expect(image.width).toBe((size + 2 * MARGIN) * SCALE);
  expect(image.height).toBe(image.width);
  let mismatches = 0;
  for (let row = -MARGIN; row < size + MARGIN; row++) {
    for (let col = -MARGIN; col < size + MARGIN; col++) {
      const inside = row >= 0 && col >= 0 && row < size && col < size;
      const expected = inside && symbol.modules.get(row, col) === 1;
      // The centre pixel of the module's square.
      const px = (col + MARGIN) * SCALE + SCALE / 2;
      const py = (row + MARGIN) * SCALE + SCALE / 2;
      if (image.dark(px, py) !== expected) mismatches++;
    }
  }
  expect(mismatches).toBe(0);

  const decision = verifyCode({
    code: fromQrText(text),
    operatorId: 'metroville',
    issuerKeys: new Map([['iss-1', { publicKey: issuer.publicKey }]]),
    denyList: new Set<string>(),
    replayCache: new MemoryReplayCache(() => NOW),
    now: NOW,
  });
  expect(decision).toMatchObject({ allow: true, pseudonym: 'Zq3xv0Jt8m2WcP4aLk9sdA', counter: 3 });
});
