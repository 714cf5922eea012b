// The charts panel of the staff analytics dashboard: a chart's latest snapshot (top 10 with
// movement) and its biggest movers, from the charts dashboard's JSON; it follows
// chart:<slug> on the realtime socket (chart_socket.js) and reloads on snapshot_ingested.
(function () {
  "use strict";
  var root = document.getElementById("chartpanel");
  if (!root) return;
  var select = root.querySelector("select");
  var state = document.getElementById("chartpanel-live");
  var follower = null;

  function arrow(entry) {
    if (entry.is_new) return ["NEW", "move-new"];
    if (entry.is_reentry) return ["RE", "move-new"];
    if (entry.movement > 0) return ["▲ " + entry.movement, "move-up"];
    if (entry.movement < 0) return ["▼ " + (-entry.movement), "move-down"];
    return ["=", "move-same"];
  }

  function fill(id, entries, describe) {
    var body = document.getElementById(id);
    body.textContent = "";
    entries.forEach(function (entry) {
      var row = body.insertRow();
      var move = describe(entry);
      row.insertCell().textContent = entry.position;
      var cell = row.insertCell();
      cell.textContent = move[0];
      cell.className = move[1];
      row.insertCell().textContent = entry.title + " – " + entry.artist_name;
    });
    if (!entries.length) body.insertRow().insertCell().textContent = "none";
  }

  function load() {
    var params = new URLSearchParams({ chart: select.value });
    fetch(root.dataset.url + "?" + params, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var title = document.getElementById("chartpanel-date");
        if (!data) { title.textContent = "no snapshot yet"; return; }
        title.textContent = data.date + " (" + data.entry_count + " entries)";
        fill("chartpanel-top", data.entries.slice(0, 10), arrow);
        var movers = data.movers_up.slice(0, 3).concat(data.movers_down.slice(0, 3));
        fill("chartpanel-movers", movers, arrow);
        root.dataset.loaded = "true";
      });
  }

  function follow() {
    if (follower) follower.close();
    if (!window.followChart) return;
    follower = window.followChart(
      select.value,
      function (data) { state.textContent = "new snapshot " + data.date; load(); },
      function (text) { state.textContent = text; }
    );
  }

  select.onchange = function () { load(); follow(); };
  // The charts list from the public API; the platform chart first when there is one.
  fetch(root.dataset.chartsUrl, { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (page) {
      var charts = page.results.filter(function (c) { return c.latest_date; });
      if (!charts.length) {
        document.getElementById("chartpanel-date").textContent = "no charts yet";
        return;
      }
      charts.forEach(function (c) { select.add(new Option(c.name, c.slug)); });
      var preferred = charts.filter(function (c) { return c.slug === root.dataset.default; })[0];
      select.value = (preferred || charts[0]).slug;
      load();
      follow();
    });
})();
