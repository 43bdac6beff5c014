// Worked examples of the what-if API, published in the OpenAPI document (openapi.ts): each a
// request on the embedded example policies (served as `examples`) and the answer it gets. The
// answers are real (a test sends every request and checks the answer holds what is shown here);
// members that change from run to run (times, versions) are left out.

export interface Example {
  name: string;
  summary: string;
  method: 'get' | 'put' | 'post' | 'delete';
  /** The OpenAPI path, with {param}s. */
  path: string;
  params?: Record<string, string>;
  contentType?: string;
  body?: unknown;
  status: number;
  answer: unknown;
}

export const EXAMPLES: Example[] = [
  {
    name: 'healthz', summary: 'alive', method: 'get', path: '/healthz', status: 200, answer: { status: 'ok' },
  },
];
