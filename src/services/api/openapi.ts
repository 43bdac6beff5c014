// The OpenAPI 3 document of the what-if service, made by @fastify/swagger from the routes'
// schemas, with the worked examples of examples.ts put in place (each request with the answer it
// gets, under the same name), published at /openapi.json; Swagger UI at /docs.

import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { EXAMPLES, type Example } from './examples.js';

type Doc = { paths?: Record<string, Record<string, Operation>> };
type Media = { schema?: Record<string, unknown>; examples?: Record<string, { summary?: string; value: unknown }> };
interface Operation {
  parameters?: { in: string; name: string; examples?: Record<string, { value: unknown }> }[];
  requestBody?: { content: Record<string, Media> };
  responses?: Record<string, { content?: Record<string, Media> }>;
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'nftlens what-if API', version: '0.1.0',
        description: 'Named policies (Liqo FirewallConfigurations or nftables rulesets) held compiled: evaluate packets as the kernel would, analyse rules, check tenant isolation, diff two policies. Errors: docs/api.md.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'required by PUT and DELETE when the server has a token (--token-file, NFTLENS_TOKEN)' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (doc) => addExamples(('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Doc),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Made once at start-up: a route or example that does not fit fails the start, not a request.
  app.addHook('onReady', async () => void app.swagger());
}

function addExamples(doc: Doc): Doc {
  bytesTyped(doc);
  for (const ex of EXAMPLES) {
    const op = doc.paths?.[ex.path]?.[ex.method];
    if (!op) throw new Error(`example ${ex.name}: no operation ${ex.method} ${ex.path}`);
    put(op, ex);
  }
  return doc;
}

/**
 * Bodies read or written as bytes (text/plain, binary records and columns) are validated by no
 * schema (one with a type would refuse the Buffer their parser gives): their type is set here.
 */
function bytesTyped(doc: Doc): void {
  for (const ops of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(ops)) {
      const media = [op.requestBody?.content, ...Object.values(op.responses ?? {}).map((r) => r.content)];
      for (const content of media) {
        for (const [type, m] of Object.entries(content ?? {})) {
          if (type === 'application/json' || !m.schema || m.schema.type !== undefined || m.schema.$ref !== undefined) continue;
          m.schema = { type: 'string', ...(type.startsWith('text/') ? {} : { format: 'binary' }), ...m.schema };
        }
      }
    }
  }
}

function put(op: Operation, ex: Example): void {
  for (const [name, value] of Object.entries(ex.params ?? {})) {
    const p = op.parameters?.find((x) => x.name === name && (x.in === 'path' || x.in === 'query'));
    if (!p) throw new Error(`example ${ex.name}: no parameter ${name}`);
    (p.examples ??= {})[ex.name] = { value };
  }
  if (ex.body !== undefined) {
    const media = op.requestBody?.content[ex.contentType ?? 'application/json'];
    if (!media) throw new Error(`example ${ex.name}: the operation takes no ${ex.contentType ?? 'application/json'} body`);
    (media.examples ??= {})[ex.name] = { summary: ex.summary, value: ex.body };
  }
  const res = op.responses?.[String(ex.status)];
  if (!res) throw new Error(`example ${ex.name}: no response ${ex.status}`);
  const content = (res.content ??= {});
  const media = (content['application/json'] ??= {});
  (media.examples ??= {})[ex.name] = { summary: ex.summary, value: ex.answer };
}
