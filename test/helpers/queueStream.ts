import http from 'node:http';

export interface QueueEvent {
  stage: string;
  status: string;
  position: number | null;
  etaMinutes: number | null;
  /** When the test received it (Date.now()). */
  receivedAtMs: number;
}

/**
 * Reads one queue event stream (server-sent events) until the server ends it ('ended') or the
 * connection breaks ('broken'); each `queue` event is appended to `into` as it arrives.
 */
export function readQueueStream(url: string, headers: Record<string, string>, into: QueueEvent[]): Promise<'ended' | 'broken'> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      if (res.statusCode !== 200 || !String(res.headers['content-type']).includes('text/event-stream')) {
        reject(new Error(`queue stream answered ${res.statusCode} ${String(res.headers['content-type'])}`));
        res.resume();
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
          const data = buf
            .slice(0, cut)
            .split('\n')
            .find((l) => l.startsWith('data: '));
          buf = buf.slice(cut + 2);
          if (data) into.push({ ...(JSON.parse(data.slice(6)) as Omit<QueueEvent, 'receivedAtMs'>), receivedAtMs: Date.now() });
        }
      });
      res.on('end', () => resolve('ended'));
      res.on('error', () => resolve('broken'));
      res.on('aborted', () => resolve('broken'));
    });
    req.on('error', () => resolve('broken'));
  });
}
