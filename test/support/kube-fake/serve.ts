// Runs the fake API server by hand, for experiments with kubectl:
//   npx tsx test/support/kube-fake/serve.ts   → prints the kubeconfig path; SIGUSR2 prints the audit
import { startKubeFake } from './index.js';

const api = await startKubeFake();
console.log(api.writeKubeconfig());
process.on('SIGUSR2', () => {
  for (const a of api.audit) console.log(a.code, a.user, a.verb, a.method, a.path + a.query);
});
