// The real-world rulesets nftlens imports (../shared/fixtures/nftables/real-world: Docker's bridge
// tables with their interface verdict maps; firewalld with libvirt and its IPv6 reverse-path check;
// Calico's node with ct status, its reverse-path check and interface-address masquerade guard; a
// Liqo gateway), probed as the other fixtures are: a packet from every rule and every map element
// plus random ones; engine and kernel agree on every packet and counter. The list grows as issue 12
// models more (test/frontends/nft-json/real-world.test.ts names what the others still lack).
import { fixtureFiles, fixtureSuite } from './fixture-suite.js';

const IMPORTED = /^(calico-felix-vxlan-node|docker-bridge-nat-dualstack|docker-bridge-routed-icc-off|firewalld-rhel8-libvirt|kube-proxy-services|liqo-gateway-rome|nixos-tailscale-k8s-iptables-nft)\.json$/;
await fixtureSuite('probe: real-world rulesets, engine against kernel', fixtureFiles('nftables/real-world', IMPORTED), 200);
