// What the war-room page and the public page share: building elements
// (every text set with textContent: nothing from the run is read as HTML)
// and following the server's event stream. Neither page sends anything.
"use strict";

window.dcmove = (function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  // Go writes a zero time as year 1.
  const zero = (t) => !t || t.startsWith("0001-");

  // follow opens the event stream at url and shows each view with show;
  // more are handlers of the stream's other events, by name. The
  // connection line (#conn) says whether the page is live, and the tests
  // read what was shown when (window.dcmoveUpdates, body's data-seq).
  function follow(url, show, more) {
    window.dcmoveUpdates = [];
    const source = new EventSource(url);
    source.addEventListener("open", () => { $("conn").textContent = "live"; $("conn").className = "conn up"; });
    source.addEventListener("error", () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn down"; });
    for (const [name, fn] of Object.entries(more || {})) source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    source.addEventListener("view", (e) => {
      const v = JSON.parse(e.data);
      show(v);
      document.body.dataset.seq = String(v.seq);
      window.dcmoveUpdates.push({ seq: v.seq, at: Date.now() });
    });
  }

  return { $, el, zero, follow };
})();
