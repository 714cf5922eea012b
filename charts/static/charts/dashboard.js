/* Staff charts dashboard: /admin/charts/dashboard/data/ and .../history/, drawn with the
   vendored Chart.js (analytics/chart.umd.js); follows chart:<slug> for new snapshots. */
(function () {
  "use strict";
  var root = document.getElementById("chartdash-dashboard");
  var chartSelect = document.getElementById("chartdash-chart");
  if (!root || !chartSelect) return;
  var dateSelect = document.getElementById("chartdash-date");
  var status = document.getElementById("chartdash-status");
  var history = null;
  var follower = null;
  var selectedTrack = null;
  if (window.Chart) Chart.defaults.animation = false;

  function movement(entry) {
    // The arrow a chart shows next to a position.
    if (entry.is_new) return { text: "NEW", cls: "move-new" };
    if (entry.is_reentry) return { text: "RE", cls: "move-new" };
    if (entry.movement > 0) return { text: "▲ " + entry.movement, cls: "move-up" };
    if (entry.movement < 0) return { text: "▼ " + (-entry.movement), cls: "move-down" };
    return { text: "=", cls: "move-same" };
  }

  function cell(row, text, cls) {
    var td = row.insertCell();
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function list(id, entries, describe) {
    var ol = document.getElementById(id);
    ol.textContent = "";
    if (!entries.length) {
      var none = document.createElement("li");
      none.textContent = "none";
      none.style.listStyle = "none";
      ol.appendChild(none);
    }
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      li.textContent = entry.title + " – " + entry.artist_name + " " + describe(entry);
      li.dataset.track = entry.track;
      li.style.cursor = "pointer";
      li.onclick = function () { showHistory(entry); };
      ol.appendChild(li);
    });
  }

  function render(data) {
    document.getElementById("chartdash-title").textContent =
      data.chart.name + ", " + data.date + " (" + data.entry_count + " entries)";
    var wanted = dateSelect.value;
    dateSelect.textContent = "";
    var latest = new Option("latest (" + (data.dates[0] || "–") + ")", "");
    dateSelect.add(latest);
    data.dates.forEach(function (day) { dateSelect.add(new Option(day, day)); });
    dateSelect.value = wanted;
    var body = document.getElementById("chartdash-entries");
    body.textContent = "";
    data.entries.forEach(function (entry) {
      var row = body.insertRow();
      row.dataset.track = entry.track;
      var move = movement(entry);
      cell(row, entry.position);
      cell(row, move.text, move.cls);
      cell(row, entry.title);
      cell(row, entry.artist_name);
      cell(row, entry.peak_position);
      cell(row, entry.days_on_chart);
      row.onclick = function () { showHistory(entry); };
    });
    list("chartdash-up", data.movers_up, function (e) { return "▲ " + e.movement + " to #" + e.position; });
    list("chartdash-down", data.movers_down, function (e) { return "▼ " + (-e.movement) + " to #" + e.position; });
    list("chartdash-new", data.new_entries, function (e) { return "at #" + e.position; });
    list("chartdash-dropped", data.dropped, function (e) { return "(was #" + e.position + ")"; });
    status.className = "";
    status.textContent = "Showing " + data.date + (data.previous_date ? ", compared with " + data.previous_date : "");
    root.dataset.loaded = "true";
    var again = data.entries.filter(function (e) { return e.track === selectedTrack; })[0];
    if (again || data.entries.length) showHistory(again || data.entries[0]);
  }

  function showHistory(entry) {
    selectedTrack = entry.track;
    Array.prototype.forEach.call(document.querySelectorAll("#chartdash-entries tr"), function (row) {
      row.classList.toggle("selected", String(row.dataset.track) === String(entry.track));
    });
    var params = new URLSearchParams({ chart: chartSelect.value, track: entry.track });
    fetch(root.dataset.historyUrl + "?" + params, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.points) return;
        document.getElementById("chartdash-history-title").textContent =
          entry.title + " – " + entry.artist_name + " (" + data.points.length + " days)";
        root.dataset.historyPoints = data.points.length;
        if (!window.Chart) return;
        if (history) history.destroy();
        history = new Chart(document.getElementById("chartdash-history"), {
          type: "line",
          data: {
            labels: data.points.map(function (p) { return p.date; }),
            datasets: [{ label: "Position", data: data.points.map(function (p) { return p.position; }),
                         borderColor: "#417690", backgroundColor: "#417690", tension: 0.1 }],
          },
          // Position 1 at the top, as charts are read.
          options: { maintainAspectRatio: false, plugins: { legend: { display: false } },
                     scales: { y: { reverse: true, min: 1, ticks: { precision: 0 } } } },
        });
      });
  }

  function load() {
    status.className = "";
    status.textContent = "Loading…";
    var params = new URLSearchParams({ chart: chartSelect.value });
    if (dateSelect.value) params.set("date", dateSelect.value);
    fetch(root.dataset.url + "?" + params, { credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          status.className = "error";
          status.textContent = result.body.errors ? result.body.errors[0].detail : "Could not load";
          return;
        }
        render(result.body);
      })
      .catch(function () { status.className = "error"; status.textContent = "Could not load"; });
  }

  function follow() {
    if (follower) follower.close();
    var live = document.getElementById("chartdash-live");
    if (!window.followChart) return;
    follower = window.followChart(
      chartSelect.value,
      function (data) {
        live.textContent = "new snapshot " + data.date;
        if (!dateSelect.value) load(); // showing the latest: show the new one
      },
      function (state) { live.textContent = state; }
    );
  }

  chartSelect.onchange = function () { dateSelect.value = ""; selectedTrack = null; load(); follow(); };
  dateSelect.onchange = load;
  load();
  follow();
})();
