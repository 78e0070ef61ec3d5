import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { FaultBook } from './faults';
import { signedAnswerBody, verifyRequestSignature } from './signing';
import type { Answer } from './trades';

/**
 * The classic gateway (`POST /gateway.do`): common parameters in the query string, the rest
 * (biz_content) in the form body. Checks what the platform checks — app_id, sign_type, the RSA2
 * request signature — then dispatches on `method` and signs the answer.
 */
export type MethodHandler = (biz: unknown, common: Record<string, string>) => Answer;
/** Page methods (GET links the user opens, such as the agreement sign page): what the page shows. */
export type PageHandler = (biz: unknown, common: Record<string, string>) => { status: number; page: object };

export interface GatewayDeps {
  appId: string;
  appPublicKeyPem: string;
  platformPrivateKeyPem: string;
  handlers: Readonly<Record<string, MethodHandler>>;
  pages?: Readonly<Record<string, PageHandler>>;
  faults: FaultBook;
  /** Requests held open by the `timeout` and `lostAnswer` faults, answered never; destroyed on stop. */
  held: Set<Response>;
  logger?: Logger | undefined;
}

const Params = z.record(z.string(), z.string());
const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

const gatewayError = (code: string, msg: string, subCode: string, subMsg: string): Answer => ({
  code,
  msg,
  sub_code: subCode,
  sub_msg: subMsg,
});

function responseKey(method: string): string {
  return `${method.replaceAll('.', '_')}_response`;
}

/** Alters a signed body as an attacker would: a cheaper amount, another QR code, or just text. */
function tamper(body: string): string {
  if (body.includes('"total_amount":"')) return body.replace(/"total_amount":"[^"]*"/, '"total_amount":"0.01"');
  if (body.includes('"qr_code":"')) return body.replace(/"qr_code":"[^"]*"/, '"qr_code":"https://attacker.invalid/qr"');
  return body.replace('"msg":"', '"msg":"x');
}

export function gatewayHandler(deps: GatewayDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const merged = Params.safeParse({ ...req.query, ...(typeof req.body === 'object' ? req.body : {}) });
    let tamperThis = false;
    let loseThis = false;
    const hold = (): void => {
      deps.held.add(res);
      res.on('close', () => deps.held.delete(res));
    };
    const send = (key: string, inner: Answer): void => {
      if (loseThis) {
        hold();
        return;
      }
      let body = signedAnswerBody(key, inner, deps.platformPrivateKeyPem);
      if (tamperThis) body = tamper(body);
      res.status(200).set('trace_id', randomBytes(16).toString('hex')).type('application/json;charset=utf-8').send(body);
    };
    if (!merged.success) {
      send('error_response', gatewayError('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'repeated or non-text parameter'));
      return;
    }
    const params = merged.data;
    const method = params.method;
    if (!method) {
      send('error_response', gatewayError('40001', 'Missing Required Arguments', 'isv.missing-method', 'method missing'));
      return;
    }
    const key = responseKey(method);

    const fault = deps.faults.takeGatewayFault(method);
    if (fault) deps.logger?.info({ method, fault: fault.kind }, 'sim gateway fault');
    if (fault?.kind === 'http5xx') {
      res.status(fault.status).type('text/plain').send('Service Unavailable');
      return;
    }
    if (fault?.kind === 'timeout') {
      hold();
      return;
    }
    loseThis = fault?.kind === 'lostAnswer';
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));
    tamperThis = fault?.kind === 'tamperResponse';

    if (params.app_id !== deps.appId) {
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-app-id', 'unknown app_id'));
      return;
    }
    if (!params.sign) {
      send(key, gatewayError('40001', 'Missing Required Arguments', 'isv.missing-signature', 'sign missing'));
      return;
    }
    if (params.sign_type !== 'RSA2') {
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-signature-type', 'only RSA2 is accepted'));
      return;
    }
    if (!TIMESTAMP.test(params.timestamp ?? '')) {
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-timestamp', 'timestamp must be yyyy-MM-dd HH:mm:ss'));
      return;
    }
    if (!verifyRequestSignature(params, deps.appPublicKeyPem)) {
      deps.logger?.warn({ method }, 'sim gateway rejected a request signature');
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-signature', 'signature verification failed'));
      return;
    }
    const page = req.method === 'GET' ? deps.pages?.[method] : undefined;
    const handler = req.method === 'GET' ? undefined : deps.handlers[method];
    if (page) {
      let biz: unknown;
      try {
        biz = params.biz_content ? JSON.parse(params.biz_content) : {};
      } catch {
        res.status(400).json({ error: 'biz_content is not JSON' });
        return;
      }
      const shown = page(biz, params);
      res.status(shown.status).json(shown.page);
      return;
    }
    if (!handler) {
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-method', `unknown method ${method}`));
      return;
    }
    if (fault?.kind === 'systemError') {
      send(key, gatewayError('20000', 'Service Currently Unavailable', 'isp.unknow-error', 'system busy'));
      return;
    }
    let biz: unknown;
    try {
      biz = params.biz_content ? JSON.parse(params.biz_content) : {};
    } catch {
      send(key, gatewayError('40002', 'Invalid Arguments', 'isv.invalid-parameter', 'biz_content is not JSON'));
      return;
    }
    send(key, handler(biz, params));
  };
}
