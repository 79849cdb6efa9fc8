// The boot timeline as an SVG chart: one bar per row on a time axis, milestones as vertical lines.
import { rows, type BootTimeline, type Row } from "./timeline.ts";

const ROW = 22;
const LABEL = 220;
const WIDTH = 1000;
const COLORS: Record<Row["kind"], string> = { kernel: "#888", stage: "#3b7dd8", service: "#2e9e5b", milestone: "#d8573b" };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function timelineSvg(t: BootTimeline): string {
  const rs = rows(t);
  const total = Math.max(1, ...rs.map((r) => r.end));
  // A round tick step giving about ten ticks.
  const step = [1, 2, 5, 10, 20, 30, 60, 120].find((s) => total / s <= 12) ?? 300;
  const x = (s: number) => LABEL + (s / total) * (WIDTH - LABEL - 20);
  const height = (rs.length + 2) * ROW;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="12">`, `<title>Corral boot: ${total.toFixed(1)} s</title>`];
  for (let s = 0; s <= total; s += step) {
    out.push(`<line x1="${x(s).toFixed(1)}" y1="0" x2="${x(s).toFixed(1)}" y2="${height - ROW}" stroke="#ddd"/>`, `<text x="${x(s).toFixed(1)}" y="${height - 6}" text-anchor="middle">${s} s</text>`);
  }
  rs.forEach((r, i) => {
    const y = i * ROW + 4;
    out.push(`<text x="4" y="${y + 13}">${esc(r.kind === "service" ? `service ${r.what}` : r.what)}</text>`);
    const tip = `<title>${esc(r.what)}: ${r.start.toFixed(2)} → ${r.end.toFixed(2)} s${r.note ? ` (${esc(r.note)})` : ""}</title>`;
    if (r.kind === "milestone") out.push(`<line x1="${x(r.start).toFixed(1)}" y1="${y}" x2="${x(r.start).toFixed(1)}" y2="${y + ROW - 6}" stroke="${COLORS.milestone}" stroke-width="3">${tip}</line>`);
    else out.push(`<rect x="${x(r.start).toFixed(1)}" y="${y}" width="${Math.max(1, x(r.end) - x(r.start)).toFixed(1)}" height="${ROW - 6}" fill="${COLORS[r.kind]}">${tip}</rect>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
