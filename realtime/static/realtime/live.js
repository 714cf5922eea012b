// The staff analytics dashboard's "Live" panel: analytics:live over the realtime WebSocket
// (README, "Realtime"). Signed in with the admin session; the socket is opened from this
// site's own origin, which the realtime process requires for session sockets.
(function () {
  "use strict";
  var root = document.getElementById("analytics-dashboard");
  if (!root || !window.WebSocket) return;

  var panel = document.createElement("section");
  panel.className = "analytics-panel";
  panel.id = "analytics-live";
  panel.style.marginBottom = "1em";
  panel.innerHTML =
    '<h2>Live <small id="live-state">connecting…</small></h2>' +
    '<p>Listeners in the last 5 minutes: <strong id="live-listeners">–</strong></p>' +
    '<table><thead><tr><th>Action</th><th>Events in the last minute</th></tr></thead>' +
    '<tbody id="live-actions"></tbody></table>';
  root.insertBefore(panel, root.querySelector(".analytics-cards"));

  function setState(text) {
    document.getElementById("live-state").textContent = text;
  }

  function socketUrl() {
    // `make run`: the API on :8000, the realtime process on :8001; behind Nginx: /ws/.
    var host = location.port === "8000" ? location.hostname + ":8001" : location.host;
    return (location.protocol === "https:" ? "wss://" : "ws://") + host + "/ws/v1/";
  }

  function render(data) {
    document.getElementById("live-listeners").textContent = data.listeners_5m;
    var body = document.getElementById("live-actions");
    body.textContent = "";
    Object.keys(data.events_per_minute).forEach(function (action) {
      var row = body.insertRow();
      row.insertCell().textContent = action;
      row.insertCell().textContent = data.events_per_minute[action];
    });
    setState("updated " + new Date(data.at).toLocaleTimeString());
  }

  // Reconnects (with backoff) only a socket that was open: when the realtime process is not
  // there at all, the panel says so and offers a retry instead of polling for it.
  var delay = 1000;
  function connect() {
    var socket = new WebSocket(socketUrl());
    var ping = null;
    var opened = false;
    socket.onopen = function () {
      opened = true;
      delay = 1000;
      socket.send(JSON.stringify({ action: "subscribe", channel: "analytics:live" }));
      ping = setInterval(function () { socket.send('{"action":"ping"}'); }, 30000);
    };
    socket.onmessage = function (message) {
      var body = JSON.parse(message.data);
      if (body.type === "event" && body.event === "live_stats") render(body.data);
      else if (body.type === "subscribed") setState("live");
      else if (body.type === "error" || body.type === "unsubscribed") setState("not available (" + (body.code || body.reason) + ")");
    };
    socket.onclose = function (event) {
      clearInterval(ping);
      if (event.code === 4401 || event.code === 4403) { setState("not allowed"); return; }
      if (!opened) {
        setState("realtime service unreachable");
        var retry = document.createElement("a");
        retry.href = "#";
        retry.textContent = " retry";
        retry.onclick = function (e) { e.preventDefault(); retry.remove(); setState("connecting…"); connect(); };
        document.getElementById("live-state").appendChild(retry);
        return;
      }
      setState("reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
