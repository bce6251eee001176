"""A counterexample as a self-contained HTML sequence diagram.

One lifeline per node, time flowing down, one row per step. A delivered
message is an arrow from the row where its sender sent it to the row where it
arrives; a dropped one ends in a cross, a duplicated one is marked x2, a crash
is a red cross on the lifeline, and timers, client requests and membership
changes are labels on the node that acted. Clicking a row, or moving the step
slider, shows every node's state after that step; the step where the
invariant breaks is red. The SVG is drawn here, so the page needs no network.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from html import escape

from raftcheck.checker.timeline import short_action, short_message, short_node
from raftcheck.checker.trace import Replay, Trace
from raftcheck.core import Message
from raftcheck.model.actions import Deliver, Drop, Duplicate, Restart

ROW = 30
TOP = 40
LEFT = 60
COLUMN = 210
ACTIONS = 560


def counterexample_page(trace: Trace, replayed: Replay, title: str) -> str:
    """The page for a replayed counterexample (the views of a replay that confirms it, or as far as it got)."""
    views = replayed.views
    names = views[0].names
    x_of = {name: LEFT + COLUMN // 2 + index * COLUMN for index, name in enumerate(names)}
    steps = len(views) - 1
    height = TOP + (steps + 1) * ROW + 20
    width = LEFT + COLUMN * len(names)
    sent_at = _send_rows(replayed)

    marks = []
    for number, action in enumerate(replayed.actions[:steps], 1):
        y = TOP + number * ROW
        text = escape(short_action(action))
        if isinstance(action, (Deliver, Drop, Duplicate)):
            message = action.message
            start_y = TOP + sent_at[number] * ROW
            x1, x2 = x_of[message.src], x_of[message.dst]
            label = escape(_message_label(message))
            if isinstance(action, Deliver):
                marks.append(f'<g class="arrow" data-step="{number}"><title>{text}</title>'
                             f'<line x1="{x1}" y1="{start_y}" x2="{x2}" y2="{y}" marker-end="url(#head)"/>'
                             f'<text x="{(x1 + x2) / 2:.0f}" y="{(start_y + y) / 2 - 3:.0f}">{label}</text></g>')
            else:
                kind, sign = ("drop", "\u2715") if isinstance(action, Drop) else ("duplicate", "x2")
                mid_x = (x1 + x2) / 2
                marks.append(f'<g class="{kind}" data-step="{number}"><title>{text}</title>'
                             f'<line x1="{x1}" y1="{start_y}" x2="{mid_x:.0f}" y2="{y}"/>'
                             f'<text x="{mid_x:.0f}" y="{y + 4}">{sign} {label}</text></g>')
        else:
            node = getattr(action, "node", None)
            if node in x_of:
                kind = "crash" if isinstance(action, Restart) else "local"
                sign = "\u2715 crash, restart" if kind == "crash" else _local_label(text, node)
                marks.append(f'<g class="{kind}" data-step="{number}"><title>{text}</title>'
                             f'<circle cx="{x_of[node]}" cy="{y}" r="5"/>'
                             f'<text x="{x_of[node] + 8}" y="{y + 4}">{escape(sign)}</text></g>')

    broken_step = steps if replayed.broken else None
    rows = [f'<rect class="step-row{" broken" if number == broken_step else ""}" data-step="{number}" x="0" '
            f'y="{TOP + number * ROW - ROW // 2}" width="{width + ACTIONS}" height="{ROW}"/>'
            f'<text class="number" x="6" y="{TOP + number * ROW + 4}">{number}</text>' for number in range(steps + 1)]
    actions = [f'<text class="action" x="{width + 10}" y="{TOP + number * ROW + 4}">{escape(short_action(action))}</text>'
               for number, action in enumerate(replayed.actions[:steps], 1)]
    lifelines = [f'<text class="name" x="{x}" y="18">{escape(name)}</text>'
                 f'<line class="lifeline" x1="{x}" y1="24" x2="{x}" y2="{height - 10}"/>' for name, x in x_of.items()]

    data = {
        "names": list(names),
        "steps": [{"action": "initial state", "states": [short_node(n) for n in views[0].nodes],
                   "changed": [True] * len(names)}]
        + [{"action": short_action(action), "states": [short_node(n) for n in view.nodes],
            "changed": [n is not b for n, b in zip(view.nodes, before.nodes)]}
           for action, view, before in zip(replayed.actions, views[1:], views)],
        "broken": broken_step,
    }
    verdict = (f"{trace.invariant} violated after step {steps}: {trace.message}" if replayed.broken
               else f"the trace did not replay: {replayed.error}")
    return PAGE.format(
        title=escape(title), verdict=escape(verdict), width=width + ACTIONS, height=height, steps=steps,
        svg="".join(rows + lifelines + marks + actions), data=json.dumps(data).replace("</", "<\\/"))


def _send_rows(replayed: Replay) -> dict[int, int]:
    """For each step that delivers, drops or duplicates a message, the step that sent it (0: already in flight)."""
    in_flight: dict[Message, list[int]] = defaultdict(list)
    for message in replayed.views[0].network:
        in_flight[message].append(0)
    rows = {}
    for number, (action, before, after) in enumerate(zip(replayed.actions, replayed.views, replayed.views[1:]), 1):
        message = getattr(action, "message", None)
        if message is not None:
            rows[number] = in_flight[message][0] if in_flight[message] else number - 1
        added = Counter(after.network) - Counter(before.network)
        removed = Counter(before.network) - Counter(after.network)
        for gone, count in removed.items():
            del in_flight[gone][:count]
        for new, count in added.items():
            if not isinstance(action, Duplicate):
                in_flight[new] += [number] * count
            else:
                in_flight[new] += [rows[number]] * count
    return rows


def _message_label(message: Message) -> str:
    """The words before the route, and the term: `RequestVote t2`, `Vote granted t2`, `AppendEntries ok t3`."""
    words = short_message(message).split(" ")
    route = next(index for index, word in enumerate(words) if "->" in word)
    return " ".join(words[:route]) + f" t{message.term}"


def _local_label(text: str, node: str) -> str:
    return text.removeprefix(f"{node}: ")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 16px; color: #222; }}
#verdict {{ background: #fde8e8; border-left: 4px solid #b00; padding: 6px 10px; }}
svg text {{ font: 11px monospace; }}
svg text.name {{ font-weight: bold; font-size: 13px; text-anchor: middle; }}
.lifeline {{ stroke: #999; stroke-dasharray: 3 3; }}
.step-row {{ fill: transparent; cursor: pointer; }}
.step-row:hover {{ fill: #f3f3f3; }}
.step-row.current {{ fill: #e3edff; }}
.step-row.broken {{ fill: #fbd5d5; }}
.arrow line {{ stroke: #246; stroke-width: 1.5; }}
.arrow text, .drop text, .duplicate text, .local text, .crash text {{ pointer-events: none; }}
.drop line {{ stroke: #b00; stroke-dasharray: 4 3; }}
.drop text {{ fill: #b00; }}
.duplicate line {{ stroke: #a60; stroke-dasharray: 2 2; }}
.crash circle {{ fill: #b00; }}
.crash text {{ fill: #b00; font-weight: bold; }}
.local circle {{ fill: #36a; }}
#states {{ position: sticky; top: 0; background: white; padding-bottom: 6px; }}
svg text.action {{ fill: #555; pointer-events: none; }}
svg text.number {{ pointer-events: none; }}
#states table {{ border-collapse: collapse; font: 12px monospace; }}
#states td, #states th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; }}
#states tr.changed {{ background: #fff3c4; }}
</style></head>
<body>
<h1>{title}</h1>
<p id="verdict">{verdict}</p>
<label>Step <input id="step" type="range" min="0" max="{steps}" value="{steps}"> <output id="step-text"></output></label>
<div id="states"></div>
<svg id="diagram" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">
<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
<path d="M0,0 L10,5 L0,10 z" fill="#246"/></marker></defs>
{svg}</svg>
<script type="application/json" id="data">{data}</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
const slider = document.getElementById("step");
function show(step) {{
  slider.value = step;
  const current = data.steps[step];
  document.getElementById("step-text").textContent = `${{step}}: ${{current.action}}`;
  const table = document.createElement("table");
  table.innerHTML = "<tr><th>node</th><th>state after this step (role, term, vote, commit, log)</th></tr>";
  data.names.forEach((name, i) => {{
    const row = table.insertRow();
    if (current.changed[i]) row.className = "changed";
    row.insertCell().textContent = name;
    row.insertCell().textContent = current.states[i];
  }});
  document.getElementById("states").replaceChildren(table);
  document.querySelectorAll(".step-row").forEach(r => r.classList.toggle("current", Number(r.dataset.step) === step));
}}
document.querySelectorAll(".step-row").forEach(r => r.addEventListener("click", () => show(Number(r.dataset.step))));
slider.addEventListener("input", () => show(Number(slider.value)));
show(data.steps.length - 1);
</script>
</body></html>
"""
