// The public page: the window, the services down on purpose and until
// when they are planned back, and what is back. It sends nothing back.
"use strict";

(function () {
  const { $, el, zero } = window.dcmove;
  let zone;
  const fmt = (t) => zero(t) ? "–" : new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone, timeZoneName: "short" }).format(new Date(t));

  function list(items, empty, line) {
    if (!items.length) return el("p", { class: "quiet", text: empty });
    return el("ul", {}, ...items.map((s) => el("li", { text: line(s) })));
  }

  function show(v) {
    zone = v.timezone || undefined;
    $("title").textContent = "Planned maintenance: " + v.title;
    $("window").textContent = "Maintenance window: " + fmt(v.window_start) + " to " + fmt(v.window_end) + ".";
    const b = $("banners");
    b.replaceChildren();
    if (v.finished) b.append(el("p", { class: "banner warn", text: "The maintenance work is finished." }));
    else if (v.degraded) b.append(el("p", { class: "banner warn", text: "Reduced service since " + fmt(v.degraded_since) + ": only essential services are up." }));
    $("down").replaceChildren(list(v.down, "Every service is up.", (s) => s.title + ": " + (s.on_purpose ? "stopped for the maintenance" : "unavailable") +
      " since " + fmt(s.since) + (zero(s.until) ? "" : "; planned back by " + fmt(s.until))));
    $("back").replaceChildren(list(v.back, "Nothing yet.", (s) => s.title + (s.validated ? ": back, and checked from outside" : ": back")));
    $("updated").textContent = "updated " + fmt(v.now);
  }

  window.dcmove.follow("public/events", show);
})();
