// The war-room page: it shows each view the server pushes (server-sent
// events, no polling; see common.js) and sends nothing back.
"use strict";

(function () {
  const { $, el, zero } = window.dcmove;
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };

  // Durations arrive as Go writes them ("1h30m0s").
  const dur = (s) => {
    if (!s || s === "0s") return "0m";
    return s.replace(/(\d+)m0s$/, "$1m").replace(/h0m$/, "h").replace(/\.\d+s$/, "s");
  };
  let zone = undefined;
  const fmt = (t, withDay) => {
    if (zero(t)) return "–";
    const o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDay) { o.weekday = "short"; o.day = "numeric"; o.month = "short"; }
    return new Intl.DateTimeFormat("en-GB", o).format(new Date(t));
  };

  let current = null;
  let recent = [];

  function fact(list, label, value, note, alert) {
    const d = el("div", alert ? { class: "alert" } : {}, el("dt", { text: label }), el("dd", { text: value }, note ? el("small", { text: note }) : null));
    list.append(d);
  }

  function table(headers, rows, empty) {
    if (!rows.length) return el("p", { class: "quiet", text: empty });
    const t = el("table");
    const tr = el("tr");
    for (const h of headers) tr.append(el("th", { scope: "col", text: h }));
    t.append(el("thead", {}, tr));
    const body = el("tbody");
    for (const r of rows) {
      const row = el("tr");
      for (const c of r) row.append(c instanceof Node ? el("td", {}, c) : el("td", { text: c }));
      body.append(row);
    }
    t.append(body);
    return t;
  }
  const mark = (ok, text) => el("span", { class: ok ? "good" : "bad", text: text });

  function banners(v) {
    const b = v.board, box = $("banners");
    box.replaceChildren();
    if (!zero(v.lost)) box.append(el("p", { class: "banner" }, el("strong", { text: "Connection lost" }), " since " + fmt(v.lost, true) + " (" + (v.lost_why || "no answer") + "): what follows is as of then; retrying."));
    if (b.backing_out) box.append(el("p", { class: "banner" }, el("strong", { text: "Backing out" }), " since " + fmt(b.backout_since, true) + ": " + (b.backout_reason || "")));
    if (b.degraded) {
      const down = (b.down_on_purpose || []).join(", ") || "none";
      box.append(el("p", { class: "banner warn" }, el("strong", { text: "Degraded mode" }), " since " + fmt(b.degraded_since, true) + " (" + dur(b.degraded_for) + " in all): only vital services are up. Down on purpose: " + down + "."));
    }
  }

  function facts(v) {
    const b = v.board, f = v.forecast, list = $("facts");
    list.replaceChildren();
    fact(list, "Progress", b.progress.done + " of " + b.progress.total + " steps (" + b.progress.percent + "%)",
      b.progress.started + " under way, " + b.progress.ready + " ready, " + b.progress.failed + " failed", b.progress.failed > 0);
    if (f && !zero(f.end)) {
      const p = Math.round(f.probability * 100);
      fact(list, f.ended ? "The move's work ended" : "Forecast end", fmt(f.end, true),
        f.ended ? "" : "if every step takes its likely time; " + p + "% of " + f.samples + " simulated ends fit the window" + (zero(f.p50) ? "" : ", median " + fmt(f.p50, true)) + (zero(f.p90) ? "" : ", 90% by " + fmt(f.p90, true)) + (f.overtime ? "; the crew stays past its last shift" : ""), !f.ended && p < 80);
    } else {
      fact(list, "Forecast end", v.forecast_note || "–");
    }
    fact(list, "Window", fmt(b.window_start, true) + " – " + fmt(b.window_end, true), b.timezone);
    if (!zero(b.point_of_no_return)) fact(list, "Point of no return", fmt(b.point_of_no_return, true), b.point_of_no_return_left ? dur(b.point_of_no_return_left) + " left" : "passed", !b.point_of_no_return_left);
    if (b.next_gate) fact(list, "Next go/no-go", b.next_gate.id, b.next_gate.title + (zero(b.next_gate.planned_start) ? "" : ", planned " + fmt(b.next_gate.planned_start, true)));
    fact(list, "Late", b.late + " step" + (b.late === 1 ? "" : "s"), "against their planned start or end", b.late > 0);
  }

  function gantt(v) {
    const all = $("all-steps").checked;
    const rows = (v.gantt || []).filter((r) => all || r.timing === "window" || r.state === "started" || r.state === "failed");
    const box = $("gantt");
    if (!rows.length) { box.replaceChildren(el("p", { class: "quiet", text: "No step to draw." })); return; }
    const b = v.board, now = Date.parse(b.now);
    const times = [now];
    for (const r of rows) for (const t of [r.planned_start, r.planned_end, r.start, r.end]) if (!zero(t)) times.push(Date.parse(t));
    for (const t of [b.window_end, b.point_of_no_return]) if (!zero(t)) times.push(Date.parse(t));
    const lo = Math.min(...times), hi = Math.max(...times, lo + 3600e3);
    const labelW = 300, width = Math.max(box.clientWidth - 20, 700), plot = width - labelW - 10, rowH = 16, top = 22;
    const x = (t) => labelW + ((t - lo) / (hi - lo)) * plot;
    const s = svg("svg", { width: width, height: top + rows.length * rowH + 6, "aria-hidden": "true" });
    // Hours on the axis.
    // Ticks at least 70 px apart, on whole hours; the day is named at
    // the first tick and at each midnight.
    const hour = 3600e3, span = hi - lo;
    const step = [1, 2, 3, 6, 12, 24, 48, 96].map((h) => h * hour).find((st) => (st / span) * plot >= 70) || 168 * hour;
    let lastDay = "";
    for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
      s.append(svg("line", { class: "tick", x1: x(t), x2: x(t), y1: top - 4, y2: top + rows.length * rowH }));
      const iso = new Date(t).toISOString(), day = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", timeZone: zone }).format(new Date(t));
      const lab = svg("text", { x: x(t) + 2, y: 12 });
      lab.textContent = day !== lastDay ? day + " " + fmt(iso) : fmt(iso);
      lastDay = day;
      s.append(lab);
    }
    let late = 0, crit = 0;
    rows.forEach((r, i) => {
      const y = top + i * rowH;
      if (i % 2) s.append(svg("rect", { class: "phase", x: 0, y: y, width: width, height: rowH }));
      const lab = svg("text", { x: 4, y: y + 12 });
      lab.textContent = (r.id.length > 44 ? r.id.slice(0, 43) + "…" : r.id) + (r.late ? "  late " + dur(r.late) : "");
      if (r.late) { lab.setAttribute("class", "late-label"); late++; }
      s.append(lab);
      const tip = svg("title");
      tip.textContent = r.id + ": " + r.title + " — " + r.state + (zero(r.planned_start) ? "" : "; planned " + fmt(r.planned_start, true) + "–" + fmt(r.planned_end)) +
        (zero(r.start) ? "" : "; ran " + fmt(r.start, true) + "–" + (zero(r.end) ? "now" : fmt(r.end))) + (r.by ? " by " + r.by : "") + (r.critical ? "; drives the planned end" : "");
      if (!zero(r.planned_start) && !zero(r.planned_end)) {
        const ps = Date.parse(r.planned_start), pe = Date.parse(r.planned_end);
        if (r.gate) {
          const cx = x(ps), cy = y + 8;
          s.append(svg("polygon", { class: "gatemark", points: `${cx},${cy - 6} ${cx + 6},${cy} ${cx},${cy + 6} ${cx - 6},${cy}` }));
        } else {
          s.append(svg("rect", { class: "planned", x: x(ps), y: y + 2, width: Math.max(x(pe) - x(ps), 1), height: 5 }));
        }
        if (r.critical) { crit++; s.append(svg("rect", { class: "critical", x: x(ps), y: y + 1, width: Math.max(x(pe) - x(ps), 2), height: 14 })); }
      }
      if (!zero(r.start)) {
        const as = Date.parse(r.start), ae = zero(r.end) ? now : Date.parse(r.end);
        const cls = r.state === "failed" ? "failed" : zero(r.end) ? "running" : "actual";
        s.append(svg("rect", { class: cls, x: x(as), y: y + 8, width: Math.max(x(ae) - x(as), 2), height: 6 }));
      }
      const g = svg("g");
      g.append(tip);
      g.append(svg("rect", { x: 0, y: y, width: width, height: rowH, fill: "transparent" }));
      s.append(g);
    });
    const vline = (t, cls) => { if (!zero(t)) s.append(svg("line", { class: cls, x1: x(Date.parse(t)), x2: x(Date.parse(t)), y1: top - 6, y2: top + rows.length * rowH })); };
    vline(b.window_end, "end");
    vline(b.point_of_no_return, "ponr");
    vline(b.now, "now");
    box.replaceChildren(s);
    $("gantt-summary").textContent = rows.length + " steps drawn (" + (all ? "all" : "the window's, and any under way or failed") + "); " +
      crit + " on the chain that drives the planned end; " + late + " late. Hover or print for each step's times; the tables below list what needs attention.";
  }

  function attention(v) {
    const b = v.board, rows = [];
    for (const s of b.failed || []) rows.push([mark(false, "failed"), s.id, s.title, (s.by || "") + (s.reason ? ": " + s.reason : "")]);
    for (const s of b.blocked || []) rows.push([mark(false, "blocked"), s.id, s.title, s.reason || ""]);
    for (const s of (b.started || []).concat(b.ready || [])) if (s.late) rows.push([mark(false, "late " + dur(s.late)), s.id, s.title, s.state === "started" ? "under way, by " + s.by : "not started; planned " + fmt(s.planned_start, true)]);
    for (const s of b.overridden || []) rows.push([mark(false, "overridden"), s.id, s.title, s.by + ": " + s.reason]);
    $("attention").replaceChildren(table(["State", "Step", "What", "Who, why"], rows, "Nothing late, blocked or failed."));
  }

  function services(v) {
    const rows = (v.board.services_down || []).map((s) => [s.title || s.id, s.on_purpose ? "down on purpose" : mark(false, "down"), fmt(s.since, true), dur(s.down),
      s.rto ? dur(s.rto) : "none", s.over_rto ? mark(false, "over by " + dur(s.over_rto)) : mark(true, "within")]);
    $("services").replaceChildren(table(["Service", "State", "Since", "Down for", "Objective", "Against it"], rows, "Every service is up."));
  }

  function checks(v) {
    const cs = v.checks || [];
    if (!cs.length) { $("checks").replaceChildren(el("p", { class: "quiet", text: "The plan declares no checks." })); return; }
    const rows = cs.map((c) => [c.of, c.id + " (" + c.kind + " " + c.target + ")", el("span", {}, ...c.from.map((f) => {
      const ok = f.state === "passed", txt = f.vantage + ": " + f.state + (zero(f.at) ? "" : " at " + fmt(f.at)) + (f.seen && !ok ? " (" + f.seen + ")" : "");
      return el("span", { class: f.state === "not run" ? "quiet" : ok ? "good" : "bad", text: txt + " " });
    }))]);
    $("checks").replaceChildren(table(["Of", "Check", "From each vantage point"], rows, ""));
  }

  function firewall(v) {
    const f = v.firewall;
    if (!f) { $("firewall").replaceChildren(el("p", { class: "quiet", text: "The plan lists no firewall rules and none were captured." })); return; }
    const list = el("dl", { class: "facts" });
    fact(list, "Captured at the source", f.captured_at_source + " rules", f.plan_rules + " in the plan; " + f.kept + " kept, " + f.retired + " retired");
    fact(list, "To review", String(f.to_review.length), "captured, not in the plan", f.to_review.length > 0);
    fact(list, "At the destination", f.destination_captured ? f.verified + " verified" : "not captured yet", f.destination_captured ? f.missing.length + " missing, " + f.unexpected.length + " unexpected, " + f.reappeared.length + " retired but back" : "dcmove fw verify", f.missing.length + f.reappeared.length > 0);
    const rows = [];
    for (const m of f.missing) rows.push([mark(false, "missing at the destination"), m]);
    for (const m of f.reappeared) rows.push([mark(false, "retired, but back"), m]);
    for (const m of f.unexpected) rows.push(["unexpected (never captured)", m]);
    for (const m of f.to_review) rows.push(["to review", m]);
    $("firewall").replaceChildren(list, table(["What", "Rule"], rows, "Nothing missing, back or to review."));
  }

  function notices(v) {
    const rows = (v.notices || []).map((n) => [n.title || n.stakeholder, String(n.recipients), n.sent + (n.bounced ? ", " + n.bounced + " bounced" : ""),
      n.waived ? "waived: " + n.waived : n.acknowledged === n.recipients && n.recipients > 0 ? mark(true, n.acknowledged + " of " + n.recipients) : mark(false, n.acknowledged + " of " + n.recipients),
      fmt(n.deadline, true)]);
    $("notices").replaceChildren(table(["Stakeholder", "Recipients", "Sent", "Acknowledged", "Deadline"], rows, "No notice is tracked for this run."));
  }

  function mergeRecent(entries) {
    const seen = new Set(recent.map((e) => e.seq));
    for (const e of entries) if (!seen.has(e.seq)) recent.push(e);
    recent.sort((a, b) => a.seq - b.seq);
    recent = recent.slice(-200);
  }

  function showRecent() {
    const ol = $("recent");
    ol.replaceChildren(...recent.slice(-40).reverse().map((e) => el("li", {}, el("time", { datetime: e.time, text: fmt(e.time, true) }), " ",
      el("span", { class: "who", text: e.actor || "dcmove" }), ": " + e.text)));
  }

  function show(v) {
    current = v;
    zone = v.board.timezone || undefined;
    document.title = "dcmove: " + (v.board.title || v.board.plan) + " (" + v.board.run + ")";
    $("title").textContent = v.board.title || v.board.plan;
    $("run").textContent = "run " + v.board.run + ", plan " + v.board.plan;
    const kind = $("kind");
    kind.hidden = !v.board.rehearsal;
    kind.textContent = "rehearsal";
    banners(v); facts(v); gantt(v); attention(v); services(v); checks(v); firewall(v); notices(v);
    mergeRecent(v.recent || []);
    showRecent();
    const last = recent.length ? recent[recent.length - 1] : null;
    $("updated").textContent = last ? "last event " + fmt(last.time, true) + " by " + (last.actor || "dcmove") + " (seq " + v.seq + ")" : "no event yet";
  }

  $("all-steps").addEventListener("change", () => { if (current) gantt(current); });

  window.dcmove.follow("events", show, { missed: mergeRecent });
})();
