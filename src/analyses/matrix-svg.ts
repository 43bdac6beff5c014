// The isolation result as a picture: a tenant × tenant reachability matrix in SVG. Rows are
// sources, columns destinations; a red cell is a breach (with how many headers get through), a
// green cell an isolated pair, the grey diagonal each tenant's own traffic.

import type { IsolationResult } from './isolation.js';

const CELL = 120;
const HEAD = 140;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function amount(n: number): string {
  if (n === 0) return 'none';
  const e = Math.log2(n);
  return e >= 20 ? `2^${e.toFixed(1)} headers` : `${n} headers`;
}

export function isolationSvg(r: IsolationResult): string {
  const n = r.tenants.length;
  const w = HEAD + n * CELL + 20;
  const h = HEAD + n * CELL + 60;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="13">`,
    `<title>nftlens isolation: ${r.isolated ? 'isolated' : `${r.breaches.length} breach(es)`}</title>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${r.isolated ? 'Tenants isolated' : `Isolation breached (${r.breaches.length})`}</text>`,
    `<text x="${HEAD}" y="${HEAD - 40}" fill="#555">to →</text>`,
    `<text x="10" y="${HEAD + 16}" fill="#555">from ↓</text>`,
  ];
  r.tenants.forEach((t, j) => out.push(`<text x="${HEAD + j * CELL + CELL / 2}" y="${HEAD - 12}" text-anchor="middle" font-weight="bold">${esc(t)}</text>`));
  r.tenants.forEach((t, i) => {
    out.push(`<text x="${HEAD - 12}" y="${HEAD + i * CELL + CELL / 2 + 5}" text-anchor="end" font-weight="bold">${esc(t)}</text>`);
    r.tenants.forEach((_, j) => {
      const v = r.matrix[i]![j]!;
      const self = i === j;
      const fill = self ? '#dddddd' : v > 0 ? '#e05252' : '#5cb85c';
      const label = self ? (v > 0 ? 'own traffic' : 'no own traffic') : v > 0 ? 'BREACH' : 'isolated';
      const x = HEAD + j * CELL;
      const y = HEAD + i * CELL;
      out.push(`<rect x="${x}" y="${y}" width="${CELL - 4}" height="${CELL - 4}" rx="6" fill="${fill}"><title>${esc(`${r.tenants[i]} → ${r.tenants[j]}: ${amount(v)}`)}</title></rect>`);
      out.push(`<text x="${x + CELL / 2 - 2}" y="${y + CELL / 2 - 4}" text-anchor="middle" fill="${self ? '#333' : '#fff'}" font-weight="bold">${label}</text>`);
      out.push(`<text x="${x + CELL / 2 - 2}" y="${y + CELL / 2 + 14}" text-anchor="middle" fill="${self ? '#333' : '#fff'}" font-size="11">${esc(amount(v))}</text>`);
    });
  });
  out.push(`<text x="10" y="${h - 28}" fill="#555" font-size="11">cells: headers accepted on the forward path</text>`);
  out.push(`<text x="10" y="${h - 14}" fill="#555" font-size="11">from the row's sources to the column's destinations</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
