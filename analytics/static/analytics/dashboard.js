/* Staff analytics dashboard: fetches /admin/analytics/data/ and draws it with Chart.js. */
(function () {
  "use strict";
  const root = document.getElementById("analytics-dashboard");
  const form = document.getElementById("analytics-range");
  const status = document.getElementById("analytics-status");
  const charts = {};
  const ACTIONS = ["play", "complete", "skip", "like", "share"];
  const COLORS = ["#417690", "#79aec8", "#ba2121", "#f5dd5d", "#70bf2b"];
  Chart.defaults.animation = false;

  function draw(id, config) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), config);
  }

  function label(text, max) {
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  function horizontalBars(id, labels, values, color) {
    draw(id, {
      type: "bar",
      data: { labels: labels, datasets: [{ label: "Plays", data: values, backgroundColor: color }] },
      options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } } },
    });
  }

  function render(data) {
    ACTIONS.forEach(function (action) {
      document.getElementById("card-" + action).textContent =
        data.events_by_action[action].toLocaleString();
    });
    document.getElementById("card-flagged").textContent = data.flagged_plays.toLocaleString();
    draw("chart-daily", {
      type: "line",
      data: {
        labels: data.daily.map(function (d) { return d.day; }),
        datasets: [
          { label: "Plays", data: data.daily.map(function (d) { return d.plays; }),
            borderColor: COLORS[0], backgroundColor: COLORS[0], tension: 0.2 },
          { label: "Completions", data: data.daily.map(function (d) { return d.completes; }),
            borderColor: COLORS[1], backgroundColor: COLORS[1], tension: 0.2 },
          { label: "Skips", data: data.daily.map(function (d) { return d.skips; }),
            borderColor: COLORS[2], backgroundColor: COLORS[2], tension: 0.2 },
          { label: "Flagged plays (not counted)",
            data: data.daily.map(function (d) { return d.flagged_plays; }),
            borderColor: "#888", backgroundColor: "#888", borderDash: [4, 4], tension: 0.2 },
        ],
      },
      options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
    draw("chart-actions", {
      type: "doughnut",
      data: {
        labels: ACTIONS,
        datasets: [{ data: ACTIONS.map(function (a) { return data.events_by_action[a]; }),
                     backgroundColor: COLORS }],
      },
      options: { maintainAspectRatio: false },
    });
    horizontalBars("chart-songs",
      data.top_songs.map(function (t) { return label(t.song.title + " — " + t.song.artist.name, 40); }),
      data.top_songs.map(function (t) { return t.plays; }), COLORS[0]);
    horizontalBars("chart-artists",
      data.top_artists.map(function (t) { return label(t.artist.name, 40); }),
      data.top_artists.map(function (t) { return t.plays; }), COLORS[1]);
    const through = data.data_through ? new Date(data.data_through).toLocaleString() : "no events yet";
    status.className = "";
    status.textContent = data.from + " to " + data.to + " · data through " + through;
    root.dataset.loaded = "true";
  }

  function load() {
    const params = new URLSearchParams(new FormData(form));
    status.className = "";
    status.textContent = "Loading…";
    fetch(root.dataset.url + "?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          throw new Error(result.body.errors.map(function (e) {
            return (e.attr ? e.attr + ": " : "") + e.detail;
          }).join("; "));
        }
        render(result.body);
      })
      .catch(function (error) {
        status.className = "error";
        status.textContent = "Could not load: " + error.message;
      });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  load();
})();
