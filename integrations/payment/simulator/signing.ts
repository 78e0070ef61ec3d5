import { createSign, createVerify } from 'node:crypto';

/**
 * The platform's side of RSA2 (SHA256withRSA, base64). Written from the open-platform signing
 * rules, independently of the SDK, so that the SDK's own signing and verification are what the
 * integration tests exercise.
 */

function rsa2Sign(content: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(content, 'utf8').sign(privateKeyPem, 'base64');
}

/** Request rule: every parameter except `sign` and empty values, sorted by key, `k=v` joined by '&'. */
export function requestSignContent(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k] ?? ''}`)
    .join('&');
}

export function verifyRequestSignature(params: Record<string, string>, appPublicKeyPem: string): boolean {
  const signature = params.sign;
  if (!signature || params.sign_type !== 'RSA2') return false;
  try {
    return createVerify('RSA-SHA256').update(requestSignContent(params), 'utf8').verify(appPublicKeyPem, signature, 'base64');
  } catch {
    return false; // malformed key material in the request is a failed verification, not a crash
  }
}

/**
 * Answer rule: the signature covers the exact JSON text of the `<method>_response` value, so the
 * body is assembled as text around the one serialisation that was signed.
 */
export function signedAnswerBody(responseKey: string, inner: object, platformPrivateKeyPem: string): string {
  const innerJson = JSON.stringify(inner);
  const sign = rsa2Sign(innerJson, platformPrivateKeyPem);
  return `{"${responseKey}":${innerJson},"sign":"${sign}"}`;
}

/** Notification rule: every field except `sign` and `sign_type`, sorted, `k=v` joined by '&'. */
export function signNotification(params: Record<string, string>, platformPrivateKeyPem: string): Record<string, string> {
  const content = Object.keys(params)
    .filter((k) => k !== 'sign' && k !== 'sign_type')
    .sort()
    .map((k) => `${k}=${params[k] ?? ''}`)
    .join('&');
  return { ...params, sign_type: 'RSA2', sign: rsa2Sign(content, platformPrivateKeyPem) };
}
