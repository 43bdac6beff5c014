// A watch stream as the API server serves it: newline-delimited JSON events on a chunked 200
// response — the synthetic ADDED events of the current state when no resourceVersion (or "0") is
// given, the changes after a given resourceVersion otherwise, ADDED/DELETED when an object enters
// or leaves the selector, BOOKMARKs when asked for, an ERROR event with a 410 Expired Status for a
// compacted resourceVersion, and the end of the stream after timeoutSeconds.
import type { ServerResponse } from 'node:http';
import type { ResourceType } from './resources.js';
import { groupVersion, Types } from './resources.js';
import type { Predicate } from './select.js';
import { ApiError, errorStatus, type Obj } from './status.js';
import type { Change, Store } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  matches: Predicate;
  resourceVersion: string;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds: number | undefined;
  /** Turns an object into what the client asked for (itself, or a Table row). */
  render(o: Obj): Obj;
}

export function serveWatch(store: Store, w: WatchRequest, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const bucket = Types.bucket(w.type);
  // Nothing after the end: a bookmark timer may fire between res.end() and its 'finish' event.
  const send = (type: string, object: Obj) => {
    if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
  };
  const serve = (o: Obj) => w.render({ ...o, apiVersion: groupVersion(w.type), kind: w.type.kind });
  let since: number;
  if (w.resourceVersion === '' || w.resourceVersion === '0') {
    since = store.resourceVersion;
    for (const o of store.list(bucket)) if (w.matches(o)) send('ADDED', serve(o));
  } else {
    since = Number(w.resourceVersion);
    if (!Number.isInteger(since)) {
      send('ERROR', errorStatus(new ApiError(400, 'BadRequest', `invalid resource version: ${w.resourceVersion}`)));
      res.end();
      return;
    }
  }
  const deliver = (c: Change) => {
    const now = c.type !== 'DELETED' && w.matches(c.object);
    const before = c.old !== undefined && w.matches(c.old);
    if (c.type === 'ADDED' && now) send('ADDED', serve(c.object));
    else if (c.type === 'DELETED' && before) send('DELETED', serve(c.object));
    else if (c.type === 'MODIFIED') {
      if (now && before) send('MODIFIED', serve(c.object));
      else if (now) send('ADDED', serve(c.object));
      else if (before) send('DELETED', serve(c.object));
    }
  };
  let stop: () => void;
  try {
    stop = store.watch({ bucket, deliver }, since);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    send('ERROR', errorStatus(e));
    res.end();
    return;
  }
  const timers: NodeJS.Timeout[] = [];
  if (w.bookmarks) {
    timers.push(
      setInterval(() => send('BOOKMARK', { kind: w.type.kind, apiVersion: groupVersion(w.type), metadata: { resourceVersion: String(store.resourceVersion) } }), w.bookmarkIntervalMs),
    );
  }
  const done = () => {
    stop();
    timers.forEach((t) => clearTimeout(t));
  };
  if (w.timeoutSeconds !== undefined) {
    timers.push(setTimeout(() => {
      done();
      res.end();
    }, w.timeoutSeconds * 1000));
  }
  res.on('close', done);
  res.on('finish', done);
}
