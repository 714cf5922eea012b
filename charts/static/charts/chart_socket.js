// Follows chart:<slug> on the realtime WebSocket (README, "Realtime") for the staff chart
// pages: calls onIngested(data) on each snapshot_ingested event, and onState(text) with the
// connection's state. Signed in with the admin session, from this site's own origin.
// Like realtime/live.js: reconnects (with backoff) only a socket that was open; when the
// realtime process is not there, it says so and stops (no timer loop).
(function () {
  "use strict";
  function socketUrl() {
    // `make run`: the API on :8000, the realtime process on :8001; behind Nginx: /ws/.
    var host = location.port === "8000" ? location.hostname + ":8001" : location.host;
    return (location.protocol === "https:" ? "wss://" : "ws://") + host + "/ws/v1/";
  }

  window.followChart = function (slug, onIngested, onState) {
    if (!window.WebSocket || !slug) return { close: function () {} };
    var delay = 1000;
    var stopped = false;
    var socket = null;
    function connect() {
      var opened = false;
      var ping = null;
      socket = new WebSocket(socketUrl());
      socket.onopen = function () {
        opened = true;
        delay = 1000;
        socket.send(JSON.stringify({ action: "subscribe", channel: "chart:" + slug }));
        ping = setInterval(function () { socket.send('{"action":"ping"}'); }, 30000);
      };
      socket.onmessage = function (message) {
        var body = JSON.parse(message.data);
        if (body.type === "event" && body.event === "snapshot_ingested") onIngested(body.data);
        else if (body.type === "subscribed") onState("live");
        else if (body.type === "error") onState("not available (" + body.code + ")");
      };
      socket.onclose = function (event) {
        clearInterval(ping);
        if (stopped) return;
        if (event.code === 4401 || event.code === 4403) { onState("not allowed"); return; }
        if (!opened) { onState("realtime service unreachable"); return; }
        onState("reconnecting…");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
    return { close: function () { stopped = true; if (socket) socket.close(); } };
  };
})();
