// POST /v1/policies/{name}/replay: a flow file as the body — conntrack -L output (plain or -o
// extended), pcap, pcapng, JSON lines or CSV — replayed against the policy (and, with
// ?baseline=NAME, against that policy in force too), read as it arrives, in constant memory. The
// answer streams as NDJSON: `{"progress":{flows,bytes}}` lines while it reads, then one
// `{"report":…}` (as `nftlens replay -o json`). What is wrong before the first flow is read (no
// such policy, a bad query, a body of no flow format) is an ordinary error answer; what goes
// wrong later (a malformed record, the size limit, the time limit) ends the stream with one
// `{"error":…}` line, located like the CLI's.

import { PassThrough, Transform } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { replayReport } from '../../../analyses/replay/report.js';
import { runReplay, sourceFacts } from '../../../analyses/replay/run.js';
import { flowsFrom, FLOW_FORMATS, type FlowFormat } from '../../../frontends/flows/index.js';
import type { Services } from '../app.js';
import { ApiError, errorReply } from '../errors.js';
import { errors, nameParam, obj } from '../schemas.js';
import { POLICY_NAME } from '../store.js';

/** Largest flow file a request may send (the CLI reads any size). */
export const REPLAY_MAX_BYTES = 256 * 1024 * 1024;
const PROGRESS_MS = 500;

interface Query {
  baseline?: string;
  format?: FlowFormat | 'auto';
  top?: string;
  iif?: string;
  oif?: string;
}

const ifname = { type: 'string', minLength: 1, maxLength: 15, pattern: '^[^\\s/]+$' } as const;

export const replayRoutes: FastifyPluginAsync<Services> = async (app, s) => {
  // The body is read as a stream, whatever its type, by the replay itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  // An error answered before the body was read (404, a bad query, no flow format): the body is
  // read and dropped first, so that the connection stays good for the client's next request.
  app.addHook('onError', async (req) => drain(req.raw));

  app.post<{ Params: { name: string }; Querystring: Query }>('/v1/policies/:name/replay', {
    schema: {
      tags: ['replay'],
      summary: 'replay recorded flows against the policy (and a baseline): flows per deciding rule, the flows whose fate changes, with witnesses',
      description: `The body is a flow file (conntrack -L, pcap, pcapng, JSON lines, CSV; at most ${REPLAY_MAX_BYTES} bytes), any content type. `
        + 'The answer is NDJSON: progress lines `{"progress":{"flows","bytes"}}`, then `{"report":…}` as `nftlens replay -o json`, '
        + 'or, when a record is malformed or a limit is reached after the answer began, a last `{"error":…}` line (codes as elsewhere). '
        + `The replay stops after the analysis time limit (${s.analysisTimeoutMs} ms) with a TIMEOUT error line.`,
      params: nameParam,
      querystring: obj({
        baseline: { type: 'string', pattern: POLICY_NAME, description: 'a loaded policy to compare with (the one in force)' },
        format: { type: 'string', enum: ['auto', ...FLOW_FORMATS], default: 'auto', description: 'the flow file format (default: sniffed)' },
        top: { type: 'string', pattern: '^(0|[1-9][0-9]{0,2}|1000)$', default: '10', description: 'changed-flow groups listed, each with a witness (0 to 1000)' },
        iif: { ...ifname, description: 'input interface of flows that name none' },
        oif: { ...ifname, description: 'output interface of flows that name none' },
      }),
      body: { description: 'the flow file, as bytes' },
      response: {
        200: { description: 'NDJSON: progress lines, then the report (or an error line)', type: 'string' },
        ...errors(400, 404),
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const policy = s.store.get(req.params.name);
    if (!policy) throw new ApiError('NOT_FOUND', `no policy named ${JSON.stringify(req.params.name)}`);
    const old = q.baseline === undefined ? undefined : s.store.get(q.baseline);
    if (q.baseline !== undefined && !old) throw new ApiError('NOT_FOUND', `no baseline policy named ${JSON.stringify(q.baseline)}`);
    const body = req.body as NodeJS.ReadableStream | undefined;
    if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') throw new ApiError('BAD_REQUEST', 'the body is the flow file');
    let bytes = 0;
    const limited = (body as NodeJS.ReadableStream).pipe(new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > REPLAY_MAX_BYTES) done(new ApiError('TOO_LARGE', `the flow file is over ${REPLAY_MAX_BYTES} bytes`));
        else done(null, chunk);
      },
    }));
    body.on('error', (e: Error) => limited.destroy(e));
    const stop = () => {
      body.unpipe(limited);
      limited.destroy();
    };
    let source;
    try {
      source = await flowsFrom(limited, 'body', q.format ?? 'auto');
    } catch (e) {
      stop();
      throw e;
    }
    const signal = AbortSignal.timeout(s.analysisTimeoutMs);
    const out = new PassThrough();
    reply.type('application/x-ndjson').send(out);
    const line = (v: unknown) => out.write(JSON.stringify(v) + '\n');
    let last = Date.now();
    try {
      const defaults = { iif: q.iif ?? '', oif: q.oif ?? '', local4: new Set<number>(), local6: new Set<string>() };
      const replay = await runReplay(source, policy.classifier, old?.classifier, defaults, {
        workers: 1, signal,
        progress: (r) => {
          if (Date.now() - last < PROGRESS_MS) return;
          last = Date.now();
          line({ progress: { flows: r.flows, bytes: source.read.bytes } });
        },
      });
      s.metrics.packets.inc(replay.flows);
      line({ report: replayReport(replay, { proposal: policy.classifier.plan, baseline: old?.classifier.plan }, { top: Number(q.top ?? 10), ...sourceFacts(source) }) });
    } catch (e) {
      const err = signal.aborted && e === signal.reason ? new ApiError('TIMEOUT', `the replay ran past its time limit (${s.analysisTimeoutMs} ms) and was stopped`) : e;
      line(errorReply(err, req.log).body);
      // The rest of the body is read and dropped (the connection stays good for the next
      // request); past a limit the connection is closed once the answer is out instead.
      stop();
      if (err instanceof ApiError && (err.code === 'TOO_LARGE' || err.code === 'TIMEOUT')) out.once('end', () => req.raw.destroy());
      else await drain(req.raw);
    }
    out.end();
    return reply;
  });
};

/** Reads what is left of a request body and drops it (at most the size limit: past it, the connection is closed). */
function drain(raw: import('node:http').IncomingMessage): Promise<void> {
  if (raw.readableEnded || raw.destroyed) return Promise.resolve();
  let bytes = 0;
  return new Promise((done) => {
    raw.on('data', (c: Buffer) => {
      if ((bytes += c.length) > REPLAY_MAX_BYTES) raw.destroy();
    });
    raw.once('end', done).once('close', done).resume();
  });
}
