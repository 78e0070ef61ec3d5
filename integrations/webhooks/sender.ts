/** One delivery attempt's outcome: the receiver's status, or no status (timeout, refused connection). */
export interface SendResult {
  httpStatus: number | null;
  error: string | null;
}

/** Posts a signed event to a partner endpoint. The interface lets the bench swap the transport's pool size. */
export interface WebhookSender {
  send(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<SendResult>;
}

/**
 * Node's fetch (undici: pooled keep-alive connections). Redirects are not followed (a 3xx is a failed
 * attempt, so an endpoint cannot bounce deliveries elsewhere), and the answer's body is drained but
 * never read into memory beyond what undici buffers.
 */
export const fetchSender: WebhookSender = {
  async send(url, body, headers, timeoutMs) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'user-agent': 'Causeway-Webhooks/1', ...headers },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      return { httpStatus: res.status, error: res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}` };
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      return { httpStatus: null, error: name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `connection failed (${name})` };
    }
  },
};
