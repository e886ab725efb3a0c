/** Client of `GET /api/v1/events` (WebSocket): pushes `{type, at, data}`; reconnects with back-off. */

export interface PushEvent {
  type: string;
  at: string;
  data: unknown;
}

export type EventListener = (e: PushEvent) => void;
export type StreamState = 'idle' | 'connecting' | 'open' | 'closed';

export interface EventStreamOptions {
  /** Builds the socket (injectable for tests). */
  create?: (url: string) => WebSocket;
  /** Called when the server closes with 4001 (session revoked). */
  onRevoked?: () => void;
  onState?: (s: StreamState) => void;
  maxDelayMs?: number;
}

export function eventsUrl(token: string, loc: Pick<Location, 'protocol' | 'host'> = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${loc.host}/api/v1/events?token=${encodeURIComponent(token)}`;
}

export class EventStream {
  private socket: WebSocket | null = null;
  private listeners = new Set<EventListener>();
  private token: string | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  state: StreamState = 'idle';

  constructor(private readonly opts: EventStreamOptions = {}) {}

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(token: string): void {
    if (this.token === token && this.socket) return;
    this.stop();
    this.token = token;
    this.connect();
  }

  stop(): void {
    this.token = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.setState('idle');
  }

  /** Delay before the n-th reconnect: 1 s, 2 s, 4 s … capped. */
  static delay(attempt: number, max = 30_000): number {
    return Math.min(max, 1000 * 2 ** Math.max(0, attempt - 1));
  }

  private setState(s: StreamState) {
    this.state = s;
    this.opts.onState?.(s);
  }

  private connect() {
    if (!this.token) return;
    const create = this.opts.create ?? ((url: string) => new WebSocket(url));
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = create(eventsUrl(this.token));
    } catch {
      this.schedule();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setState('open');
    };
    socket.onmessage = (m: MessageEvent) => {
      let e: PushEvent;
      try {
        e = JSON.parse(String(m.data)) as PushEvent;
      } catch {
        return;
      }
      if (!e || typeof e.type !== 'string') return;
      for (const l of this.listeners) l(e);
    };
    socket.onclose = (ev: CloseEvent) => {
      this.socket = null;
      this.setState('closed');
      if (ev.code === 4001) {
        this.token = null;
        this.opts.onRevoked?.();
        return;
      }
      this.schedule();
    };
  }

  private schedule() {
    if (!this.token) return;
    this.attempts += 1;
    this.timer = setTimeout(() => this.connect(), EventStream.delay(this.attempts, this.opts.maxDelayMs));
  }
}

/** Id a pushed device/channel event is about (`data.id`). */
export function eventSubject(e: PushEvent): string | null {
  const d = e.data as { id?: unknown } | null;
  return d && typeof d.id === 'string' ? d.id : null;
}
