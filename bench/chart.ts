// A small SVG bar chart of benchmark throughput (log scale), written without dependencies.

export interface ChartRow {
  label: string;
  values: { name: string; value: number; color: string }[];
  target?: number;
}

export function barChart(title: string, unit: string, rows: ChartRow[]): string {
  const barH = 14;
  const gap = 10;
  const left = 110;
  const width = 760;
  const plotW = width - left - 40;
  const all = rows.flatMap((r) => [...r.values.map((v) => v.value), r.target ?? 0]).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all))));
  const x = (v: number) => left + (plotW * Math.log10(Math.max(v, lo) / lo)) / Math.log10(hi / lo);
  const groupH = rows[0]!.values.length * barH + gap;
  const top = 50;
  const height = top + rows.length * groupH + 50;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  for (let p = lo; p <= hi; p *= 10) {
    out.push(`<line x1="${x(p)}" y1="${top - 5}" x2="${x(p)}" y2="${height - 40}" stroke="#ddd"/>`);
    out.push(`<text x="${x(p)}" y="${height - 26}" text-anchor="middle">${fmt(p)}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle">${esc(unit)} (log scale)</text>`);
  rows.forEach((r, i) => {
    const y0 = top + i * groupH;
    out.push(`<text x="${left - 8}" y="${y0 + (r.values.length * barH) / 2 + 4}" text-anchor="end">${esc(r.label)}</text>`);
    r.values.forEach((v, j) => {
      const y = y0 + j * barH;
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v.value) - left)}" height="${barH - 2}" fill="${v.color}"/>`);
      out.push(`<text x="${x(v.value) + 4}" y="${y + barH - 4}">${fmt(v.value)}</text>`);
    });
    if (r.target) out.push(`<line x1="${x(r.target)}" y1="${y0 - 2}" x2="${x(r.target)}" y2="${y0 + r.values.length * barH}" stroke="black" stroke-dasharray="3,2"/>`);
  });
  const legend = [...rows[0]!.values.map((v) => [v.name, v.color]), ['target', 'dashed']];
  legend.forEach(([name, color], i) => {
    const lx = left + i * 150;
    if (color === 'dashed') out.push(`<line x1="${lx}" y1="34" x2="${lx + 12}" y2="34" stroke="black" stroke-dasharray="3,2"/>`);
    else out.push(`<rect x="${lx}" y="28" width="12" height="10" fill="${color}"/>`);
    out.push(`<text x="${lx + 16}" y="37">${esc(name!)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toPrecision(3)} M`;
  if (v >= 1e3) return `${(v / 1e3).toPrecision(3)} k`;
  return v.toPrecision(3);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
