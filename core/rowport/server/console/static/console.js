/* rowport console: the throughput plot (uPlot) and live updates over server-sent events.
   Every value from the server is set as text (textContent), never as HTML. */
(function () {
  "use strict";
  var plot = null;

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function drawPlot(data) {
    var box = document.getElementById("plot");
    if (!box || !data || typeof uPlot === "undefined") return;
    var columns = [data.t, data.rate];
    if (plot) { plot.setData(columns); return; }
    var width = Math.max(box.clientWidth || 0, 280);
    plot = new uPlot({
      width: width, height: 220,
      scales: { x: { time: false } },
      axes: [{ label: "seconds" }, { label: "rows/s", size: 70 }],
      series: [{ label: "s" }, { label: "rows/s", stroke: "#1f5fbf", width: 2, fill: "rgba(31,95,191,0.1)" }]
    }, columns, box);
    box.setAttribute("data-drawn", String(data.t.length));
  }

  function setText(root, field, value) {
    var node = root.querySelector('[data-field="' + field + '"]');
    if (node) node.textContent = value;
    return node;
  }

  function num(n) { return Number(n || 0).toLocaleString("en-US"); }
  function rows(t) { return num(t.rows_done) + (t.rows_planned == null ? "" : " / " + num(t.rows_planned)); }
  function size(n) {
    var units = ["B", "KiB", "MiB", "GiB"], v = Number(n || 0), i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return i === 0 ? v.toFixed(0) + " B" : v.toFixed(1) + " " + units[i];
  }

  function updateTasks(list) {
    var body = document.querySelector("#tasks tbody");
    if (!body) return;
    list.forEach(function (t) {
      var row = body.querySelector('tr[data-task="' + CSS.escape(t.id) + '"]');
      if (!row) {
        row = document.createElement("tr");
        row.setAttribute("data-task", t.id);
        var cells = ["name", "kind", "status", "progress", "rows", "errors", "size", "age"];
        cells.forEach(function (c) {
          var td = document.createElement("td");
          if (c === "name") {
            var a = document.createElement("a");
            a.href = "/console/tasks/" + encodeURIComponent(t.id);
            a.textContent = t.name;
            td.appendChild(a);
          } else if (c === "progress") {
            var p = document.createElement("progress");
            p.max = 100; p.setAttribute("data-field", "progress");
            p.setAttribute("aria-label", "progress of " + t.name);
            td.appendChild(p);
          } else {
            td.setAttribute("data-field", c);
            if (c === "kind") td.textContent = t.kind;
            if (["rows", "errors", "size"].indexOf(c) >= 0) td.className = "n";
          }
          row.appendChild(td);
        });
        body.insertBefore(row, body.firstChild);
      }
      setText(row, "status", t.status);
      var bar = row.querySelector('[data-field="progress"]');
      if (bar) bar.value = t.completion_percentage;
      setText(row, "rows", rows(t));
      setText(row, "errors", num(t.error_lines));
      setText(row, "size", size(t.result_bytes));
      if (t.age !== undefined) setText(row, "age", t.age);
    });
  }

  function updateTask(data) {
    var t = data.task;
    var status = document.getElementById("task-status");
    if (status) status.textContent = t.status;
    var bar = document.getElementById("task-progress");
    if (bar) bar.value = t.completion_percentage;
    var r = document.getElementById("task-rows");
    if (r) r.textContent = rows(t);
    var rate = document.getElementById("task-rate");
    if (rate && data.seconds) rate.textContent = num(Math.round(t.rows_done / data.seconds)) + " rows/s";
    var updated = document.getElementById("task-updated");
    if (updated) updated.textContent = t.updated_at;
    if (data.final) {
      var cancel = document.getElementById("cancel");
      if (cancel) cancel.closest("form").remove();
    }
    drawPlot(data.plot);
  }

  function follow(url) {
    if (!url || typeof EventSource === "undefined") return;
    var source = new EventSource(url);
    var live = document.getElementById("live");
    source.addEventListener("tasks", function (e) { updateTasks(JSON.parse(e.data)); });
    source.addEventListener("task", function (e) { updateTask(JSON.parse(e.data)); });
    source.addEventListener("end", function (e) {
      updateTask(JSON.parse(e.data));
      source.close();
    });
    source.onopen = function () { if (live) live.textContent = "live"; };
  }

  drawPlot(readJSON("plot-data"));
  follow(document.body.getAttribute("data-events"));
})();
