/**
 * The report's stylesheet, inlined into the page (no network: no web fonts, no CDN). The font
 * stack names Korean system fonts so captions render on Linux, Windows and macOS alike.
 */

/** The CSS of the report page. */
export const REPORT_CSS = `
:root{--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK KR","Noto Sans KR","Malgun Gothic","Apple SD Gothic Neo","Nanum Gothic",sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0;word-break:break-all}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.top{display:flex;align-items:center;justify-content:space-between;gap:16px}
.sub{color:var(--muted);margin:4px 0 0;font-size:13px;word-break:break-all}
.status{font-weight:600;padding:4px 12px;border-radius:999px;border:1px solid currentColor;white-space:nowrap}
.status.finished{color:var(--ok)}.status.failed{color:var(--bad)}.status.running{color:var(--accent)}.status.unknown{color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:8px 24px;margin:14px 0 0;padding:0;list-style:none;color:var(--muted)}
.facts b{color:var(--fg);font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:28px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.2;margin-top:4px}
.card.primary .v{color:var(--accent)}
.hint{color:var(--muted);font-size:13px;margin:8px 0 0}
.notice{background:#fff8c5;border:1px solid #d4a72c66;border-radius:8px;padding:10px 14px;margin-top:16px}
.notice ul{margin:4px 0 0;padding-left:20px}
.charts{display:grid;gap:14px}
.charts.wide{grid-template-columns:repeat(auto-fit,minmax(520px,1fr))}
.charts.small{grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}
.chart{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:8px}
.chart svg{display:block;width:100%;height:auto}
.kvc-chart .pt:hover{fill-opacity:1}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px}
.sample{background:var(--card);border:1px solid var(--line);border-radius:10px;overflow:hidden;display:flex;flex-direction:column}
.frames{display:flex;gap:2px;background:#111;justify-content:center}
.frames img{flex:1 1 0;min-width:0;width:33%;height:auto;image-rendering:auto;display:block}
.frames.placeholder{height:110px;align-items:center;background:repeating-linear-gradient(45deg,#eaeef2 0 10px,#f6f8fa 10px 20px);color:var(--muted)}
.sample-body{padding:10px 12px;display:flex;flex-direction:column;gap:6px}
.sample-body header{display:flex;justify-content:space-between;align-items:center;gap:8px}
.sample-body code{font-size:12px;color:var(--muted);word-break:break-all}
.badge{font-size:11px;font-weight:600;padding:1px 8px;border-radius:999px;color:#fff;white-space:nowrap}
.badge.ok{background:var(--ok)}.badge.bad{background:var(--bad)}
.cap{margin:0;word-break:keep-all;overflow-wrap:anywhere}
.cap .lbl{display:block;font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.cap.pred{font-weight:500}.cap.ref{color:#3d444d}
.scores{display:flex;flex-wrap:wrap;gap:4px 12px;list-style:none;margin:2px 0 0;padding:0;font-size:12px;color:var(--muted)}
.scores b{color:var(--fg);margin-left:4px;font-variant-numeric:tabular-nums}
.note{margin:0;font-size:12px;color:var(--warn)}
.warnings li{margin:2px 0}
details{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:8px 14px}
summary{cursor:pointer;font-weight:600}
pre{overflow:auto;font-size:12px;line-height:1.45;margin:8px 0 0}
.empty{color:var(--muted);font-style:italic}
footer{margin-top:40px;color:var(--muted);font-size:12px;text-align:center}
`;
