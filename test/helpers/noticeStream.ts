import http from 'node:http';

export interface StreamedNoticeEvent {
  id: string;
  event: string;
  data: { noticeId: string; kind: string; institutionId: string; journeyId: string; data: Record<string, unknown>; text?: string };
}

export interface OpenNoticeStream {
  status: number;
  contentType: string;
  /** The body of a refusal (problem+json); empty for a stream. */
  problem: string;
  events: StreamedNoticeEvent[];
  /** Comment lines (heartbeats) seen. */
  comments: number;
  close(): void;
}

/**
 * Opens the user's notice stream and collects its events as they arrive; answers once the response
 * headers are in (and, for a refusal, its body). `close` ends the connection as a client would.
 */
export function openNoticeStream(url: string, headers: Record<string, string>): Promise<OpenNoticeStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const contentType = String(res.headers['content-type']);
      const handle: OpenNoticeStream = {
        status: res.statusCode ?? 0,
        contentType,
        problem: '',
        events: [],
        comments: 0,
        close: () => req.destroy(),
      };
      res.setEncoding('utf8');
      if (!contentType.includes('text/event-stream')) {
        let body = '';
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ ...handle, problem: body }));
        return;
      }
      let buf = '';
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let cut = buf.indexOf('\n\n'); cut >= 0; cut = buf.indexOf('\n\n')) {
          const lines = buf.slice(0, cut).split('\n');
          buf = buf.slice(cut + 2);
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
          if (lines.every((l) => l.startsWith(':'))) handle.comments += 1;
          const data = field('data');
          if (data !== undefined && field('event') === 'notice')
            handle.events.push({ id: field('id') ?? '', event: 'notice', data: JSON.parse(data) as StreamedNoticeEvent['data'] });
        }
      });
      res.on('error', () => undefined);
      resolve(handle);
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}
