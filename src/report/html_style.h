#pragma once

// The inline style sheet of the --html page (html_report.cc): light and dark (the system's
// choice, or the page's toggle), and a print sheet. Nothing is told by colour alone: severities
// carry a symbol and a word, evidence arrows a star and the finding's number, retransmissions
// and zero windows a symbol and a label, and the highlighted evidence a thicker dashed outline.

#include <string_view>

namespace netcorr::report {

inline constexpr std::string_view kHtmlStyle = R"css(
:root { --bg:#ffffff; --fg:#1b1f24; --muted:#57606a; --line:#d0d7de; --panel:#f6f8fa;
  --fail:#b42318; --slow:#9a6700; --info:#0550ae; --ev:#8250df; --hl:#d4a72c; --call:#ddf4ff;
  --callfail:#ffebe9; --gap:#eaeef2; --focus:#0969da; color-scheme: light; }
@media (prefers-color-scheme: dark) {
  :root:not([data-theme=light]) { --bg:#0d1117; --fg:#e6edf3; --muted:#9198a1; --line:#3d444d;
    --panel:#151b23; --fail:#ff7b72; --slow:#d29922; --info:#79c0ff; --ev:#d2a8ff; --hl:#e3b341;
    --call:#0c2d6b; --callfail:#5a1e1e; --gap:#212830; --focus:#58a6ff; color-scheme: dark; }
}
:root[data-theme=dark] { --bg:#0d1117; --fg:#e6edf3; --muted:#9198a1; --line:#3d444d;
  --panel:#151b23; --fail:#ff7b72; --slow:#d29922; --info:#79c0ff; --ev:#d2a8ff; --hl:#e3b341;
  --call:#0c2d6b; --callfail:#5a1e1e; --gap:#212830; --focus:#58a6ff; color-scheme: dark; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
code, .mono, svg text { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
header.top { padding: 12px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top h1 { font-size: 20px; margin: 0 0 4px; }
header.top p { margin: 2px 0; color: var(--muted); }
main { padding: 12px 20px 80px; }
.controls { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 8px 0 12px; }
.controls label { color: var(--muted); }
select, button { font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; padding: 3px 8px; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h2 { font-size: 17px; margin: 18px 0 8px; }
.finding { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px;
  margin: 8px 0; background: var(--bg); }
.finding.failure { border-left-color: var(--fail); }
.finding.slow { border-left-color: var(--slow); border-left-style: dashed; }
.finding.info { border-left-color: var(--info); border-left-style: dotted; }
.finding.selected { box-shadow: 0 0 0 3px var(--hl); }
.finding > .head { display: block; width: 100%; text-align: left; border: 0; border-radius: 6px;
  background: transparent; padding: 8px 12px; }
.head .sev { font-weight: 700; margin-right: 6px; white-space: nowrap; }
.failure .sev { color: var(--fail); } .slow .sev { color: var(--slow); } .info .sev { color: var(--info); }
.head .kind { font-family: ui-monospace, monospace; margin-right: 6px; }
.head .summary { display: block; margin-top: 2px; }
.head .hint, .head .call { display: block; color: var(--muted); font-size: 13px; }
.head .call code { color: var(--fg); }
.story { display: none; padding: 4px 12px 12px; border-top: 1px solid var(--line); }
.finding.open .story { display: block; }
.story dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
.story dt { color: var(--muted); } .story dd { margin: 0; }
.frames button { padding: 0 6px; margin: 0 2px; }
.diagram { overflow: auto; max-height: 75vh; border: 1px solid var(--line); border-radius: 6px;
  background: var(--bg); cursor: grab; position: relative; }
.diagram.dragging { cursor: grabbing; }
.diagram-note { color: var(--muted); font-size: 12px; margin: 4px 0; }
svg.seq { display: block; }
svg.seq text { font-size: 12px; fill: var(--fg); }
svg.seq .lane-head rect { fill: var(--panel); stroke: var(--line); }
svg.seq .lane-head text { font-weight: 700; }
svg.seq .lane-line { stroke: var(--line); stroke-width: 2; stroke-dasharray: 6 4; }
svg.seq .axis text { fill: var(--muted); font-size: 11px; }
svg.seq .axis line { stroke: var(--line); }
svg.seq .gap rect { fill: var(--gap); }
svg.seq .gap text { fill: var(--muted); font-style: italic; }
svg.seq .gap path { stroke: var(--muted); fill: none; }
svg.seq .call rect { fill: var(--call); stroke: var(--info); }
svg.seq .call.failed rect { fill: var(--callfail); stroke: var(--fail); stroke-width: 2; }
svg.seq .call.finding-call rect { stroke-width: 3; }
svg.seq .arrow line, svg.seq .arrow path.self { stroke: var(--fg); stroke-width: 1.5; fill: none; }
svg.seq .arrow .hit { stroke: transparent; stroke-width: 14; }
svg.seq .arrow:is(.retrans, .zerowin) line:not(.hit) { stroke-dasharray: 5 3; }
svg.seq .arrow:is(.rst, .icmp, .alert, .dnserr) :is(line:not(.hit), path) { stroke: var(--fail); }
svg.seq .arrow.retrans path.self, svg.seq .arrow.zerowin path.self { stroke-dasharray: 5 3; }
svg.seq .arrow.evidence :is(line:not(.hit), path) { stroke: var(--ev); stroke-width: 2.5; }
svg.seq .arrow.evidence text.lbl { font-weight: 700; }
svg.seq .arrow.hl :is(line:not(.hit), path) { stroke: var(--hl); stroke-width: 4; stroke-dasharray: 9 3; }
svg.seq .arrow.hl text.lbl { text-decoration: underline; }
svg.seq .arrow.picked text.lbl { fill: var(--focus); }
svg.seq .arrow:focus { outline: none; }
svg.seq .arrow:focus-visible :is(line:not(.hit), path) { stroke: var(--focus); stroke-width: 4; }
svg.seq marker path { fill: context-stroke; }

#details { position: fixed; right: 12px; bottom: 12px; width: min(520px, 95vw); max-height: 60vh;
  overflow: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; box-shadow: 0 4px 18px rgba(0,0,0,.25); display: none; }
#details.shown { display: block; }
#details h3 { margin: 0 0 6px; font-size: 15px; }
#details table { border-collapse: collapse; font-size: 13px; }
#details td { padding: 1px 8px 1px 0; vertical-align: top; }
#details td:first-child { color: var(--muted); white-space: nowrap; }
.legend { color: var(--muted); font-size: 13px; }
.flows details { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
.flows summary { cursor: pointer; }
.hidden { display: none !important; }
@media print {
  :root, :root[data-theme=dark] { --bg:#fff; --fg:#000; --muted:#333; --line:#999; --panel:#fff;
    --gap:#eee; --call:#fff; --callfail:#fff; color-scheme: light; }
  .controls, #details, .no-print { display: none !important; }
  .story { display: block !important; }
  .diagram { max-height: none; overflow: visible; border: 0; }
  .finding { break-inside: avoid-page; }
  header.top { background: none; }
}
)css";

}  // namespace netcorr::report
