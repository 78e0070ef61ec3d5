import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { newDeviceKey, rideCodeQr } from '../clients/transit/rideCodeQr';
import { DEFAULT_CODE_VALIDITY_SECONDS, decodeCredential } from '../domain/transit/rideCode';

/**
 * What a partner app does with a ride credential, from the command line:
 *   npm run ride-code -- keygen --out device.pem
 *       writes the device's private key (PKCS#8 PEM) and prints the public key to certify
 *   npm run ride-code -- code --credential <base64url | @file> --key device.pem --counter 7 [--out code.png]
 *       makes a level-2 code now and writes it as a QR PNG; prints the QR text and the PNG's path
 * The counter must grow with every code of a credential (gates refuse a repeated one): the app persists it.
 */
const Code = z.object({
  credential: z.string().min(1),
  key: z.string().min(1),
  counter: z.coerce.number().int().min(0).max(0xffffffff),
  validity: z.coerce.number().int().min(5).max(120).default(DEFAULT_CODE_VALIDITY_SECONDS),
  out: z.string().min(1).default('ride-code.png'),
});

async function main(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      credential: { type: 'string' },
      key: { type: 'string' },
      counter: { type: 'string' },
      validity: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (command === 'keygen') {
    const out = values.out ?? 'device.pem';
    const device = newDeviceKey();
    writeFileSync(out, device.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    return `device key written to ${out}\ndevicePublicKey ${device.publicKey}\n`;
  }
  if (command !== 'code') throw new Error('usage: ride-code keygen [--out device.pem] | code --credential … --key … --counter N [--out …]');
  const args = Code.parse(values);
  const credentialText = args.credential.startsWith('@') ? readFileSync(args.credential.slice(1), 'utf8').trim() : args.credential;
  const credential = Buffer.from(credentialText, 'base64url');
  const claims = decodeCredential(credential); // refuses a damaged credential before signing over it
  const { text, png } = await rideCodeQr({
    credential,
    devicePrivateKey: createPrivateKey(readFileSync(args.key)),
    now: Date.now(),
    counter: args.counter,
    validitySeconds: args.validity,
  });
  writeFileSync(args.out, png);
  const until = new Date(claims.validUntilSeconds * 1000).toISOString();
  return `QR code written to ${args.out} (valid ${args.validity} s; credential ${claims.keyId} until ${until})\n${text}\n`;
}

main(process.argv.slice(2)).then(
  (out) => process.stdout.write(out),
  (err: unknown) => {
    process.stderr.write(`ride-code: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
