"""A self-contained HTML picture of a violation: the bad key's operations as bars in real time.

One row per client; an operation is a bar from its call to its return (to the
right edge, dashed, when the outcome is unknown). The longest linearizable
prefix is green and numbered in linearization order, the operation that
cannot follow it is red. A slider walks through the prefix, showing the state
after each step; clicking a bar shows that operation. The SVG is drawn here,
so the page needs no network and shows the picture even without scripts.
"""

from __future__ import annotations

import json
from html import escape

from raftcheck.linearizability.check import Verdict
from raftcheck.linearizability.report import operation_text, summary

ROW = 26
BAR = 16
LEFT = 10
NAMES = 90
WIDTH = 1100
MEDIAN_BAR = 90
MAX_WIDTH = 30000
CHAR = 6.7


def history_page(verdict: Verdict, source: str) -> str:
    """The page for a verdict with a witness (a violation)."""
    witness = verdict.witness
    if witness is None:
        raise ValueError("only a violation has a picture")
    operations = witness.operations
    clients = sorted({op.client for op in operations}, key=_natural)
    row_of = {client: row for row, client in enumerate(clients)}
    start = min(op.invoked for op in operations)
    end = max([op.returned for op in operations if op.known] + [op.invoked for op in operations]) or start + 1
    span = (end - start) * 1.04 or 1.0
    durations = sorted(op.returned - op.invoked for op in operations if op.known) or [span]
    scale = min(max((WIDTH - NAMES - LEFT - 10) / span, MEDIAN_BAR / max(durations[len(durations) // 2], 1e-9)),
                MAX_WIDTH / span)
    width = int(LEFT + span * scale + 10)
    order = {index: number for number, (index, _) in enumerate(witness.prefix, 1)}

    bars = []
    for index, op in enumerate(operations):
        x = LEFT + (op.invoked - start) * scale
        right = LEFT + ((op.returned if op.known else start + span) - start) * scale
        y = 30 + row_of[op.client] * ROW
        role = "stuck" if index == witness.stuck else "linearized" if index in order else "other"
        classes = f"op {role}" + ("" if op.known else " unknown")
        label = _fit((f"{order[index]}: " if index in order else "") + operation_text(op), right - x)
        bars.append(
            f'<g class="{classes}" data-index="{index}"><title>{escape(op.client)}: {escape(operation_text(op))}</title>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(right - x, 3):.1f}" height="{BAR}" rx="3"/>'
            f'<text x="{x + 3:.1f}" y="{y + 12}">{escape(label)}</text></g>')
    rows = [f'<text class="client" x="4" y="{42 + row * ROW}">client {escape(client)}</text>'
            for client, row in row_of.items()]
    height = 40 + len(clients) * ROW
    data = {
        "operations": [{"client": op.client, "call": operation_text(op), "invoked": op.invoked,
                        "returned": op.returned} for op in operations],
        "prefix": [{"index": index, "state": repr(state)} for index, state in witness.prefix],
        "stuck": witness.stuck,
    }
    title = f"{source}: {verdict.status}"
    lines = "\n".join(escape(line) for line in summary(verdict, source))
    return PAGE.format(
        title=escape(title), summary=lines, width=width, names=NAMES, height=height, rows="".join(rows), bars="".join(bars),
        steps=len(witness.prefix), data=json.dumps(data).replace("</", "<\\/"), key=escape(repr(witness.key)))


def _fit(label: str, width: float) -> str:
    """As much of the label as fits in the bar; the whole of it is in the bar's tooltip."""
    room = int((width - 4) / CHAR)
    if len(label) <= room:
        return label
    return label[:room - 1] + "…" if room > 1 else ""


def _natural(client: str) -> tuple:
    return (0, int(client), "") if client.isdigit() else (1, 0, client)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 16px; color: #222; }}
pre {{ background: #f6f6f6; padding: 8px; }}
svg text {{ font: 11px monospace; pointer-events: none; }}
svg text.client {{ font-weight: bold; }}
.op rect {{ fill: #ddd; stroke: #888; cursor: pointer; }}
.op.linearized rect {{ fill: #b8e6b8; stroke: #2a7a2a; }}
.op.linearized.later rect {{ fill: #e8f5e8; stroke: #9c9; }}
.op.stuck rect {{ fill: #f4a6a6; stroke: #b00; stroke-width: 2; }}
.op.unknown rect {{ stroke-dasharray: 4 3; fill-opacity: 0.5; }}
.op.selected rect {{ stroke: #05f; stroke-width: 3; }}
#detail {{ min-height: 3em; border-left: 4px solid #05f; padding: 4px 8px; }}
</style></head>
<body>
<h1>{title}</h1>
<pre id="summary">{summary}</pre>
<p>Key {key}: green bars are the longest linearizable prefix, numbered in linearization order;
the red bar is the operation that cannot be placed after it. Dashed bars never returned.</p>
<label>Prefix step <input id="step" type="range" min="0" max="{steps}" value="{steps}">
<output id="state"></output></label>
<div id="detail">Click an operation.</div>
<div style="display: flex"><svg id="clients" width="{names}" height="{height}">{rows}</svg>
<div id="scroll" style="overflow-x: auto; flex: 1"><svg id="history" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">{bars}</svg></div></div>
<script type="application/json" id="data">{data}</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
const orderOf = new Map(data.prefix.map((p, n) => [p.index, n]));
const slider = document.getElementById("step");
function showStep() {{
  const step = Number(slider.value);
  const state = step === 0 ? "initial" : data.prefix[step - 1].state;
  document.getElementById("state").textContent = `after ${{step}} of ${{data.prefix.length}}: state ${{state}}`;
  document.querySelectorAll(".op.linearized").forEach(bar => {{
    bar.classList.toggle("later", orderOf.get(Number(bar.dataset.index)) >= step);
  }});
}}
function select(bar) {{
  document.querySelectorAll(".op.selected").forEach(b => b.classList.remove("selected"));
  bar.classList.add("selected");
  const index = Number(bar.dataset.index);
  const op = data.operations[index];
  const returned = op.returned === null ? "never returned" : `returned at ${{op.returned}}`;
  let where = "not in the prefix";
  if (orderOf.has(index)) {{
    const n = orderOf.get(index);
    where = `linearized ${{n + 1}} of ${{data.prefix.length}}, state after: ${{data.prefix[n].state}}`;
  }} else if (index === data.stuck) {{
    where = "cannot be placed after the prefix";
  }}
  document.getElementById("detail").textContent =
    `client ${{op.client}}: ${{op.call}} (invoked at ${{op.invoked}}, ${{returned}}); ${{where}}`;
}}
document.querySelectorAll(".op").forEach(bar => bar.addEventListener("click", () => select(bar)));
slider.addEventListener("input", showStep);
showStep();
const stuck = document.querySelector(".op.stuck rect");
if (stuck) document.getElementById("scroll").scrollLeft = Math.max(0, stuck.getBBox().x - 400);
</script>
</body></html>
"""
