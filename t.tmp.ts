import { openFlows } from './src/frontends/flows/index.js';
const src = await openFlows(process.argv[2]!, (process.argv[3] ?? 'auto') as never, process.stdin);
console.log(src.format);
for await (const b of src.batches) for (let i = 0; i < b.n; i++) console.log(b.packets[i], b.bytes[i], JSON.stringify(b.packet(i, false)));
