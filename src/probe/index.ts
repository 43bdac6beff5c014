// The kernel probe: the kernel as judge of the engine. probe() loads a ruleset into a throwaway
// gateway namespace, sends crafted packets through it and compares delivery, NAT and counters with
// the engine's predictions; generatePackets() picks packets that exercise every rule.
export { probe, PROBE_TABLE, MIN_COMPARED, type ProbeOptions, type ProbeReport } from './probe.js';
export { generatePackets, type GenerateOptions } from './generate.js';
export { formatReport, reportJson } from './report.js';
export { realise, firstPacketState, type Realisation } from './realise.js';
export { Topology, type TopologySpec, type Port, type Route } from './topology.js';
export type { PacketOutcome, CounterOutcome, KernelResult } from './compare.js';
