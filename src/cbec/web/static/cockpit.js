// Cockpit charts (数据驾驶舱): each chart draws the JSON embedded in the page
// (<script type="application/json" id="chart-...">); the table next to it lists the same numbers.
(function () {
  "use strict";

  var COLORS = ["#0b5cad", "#e07b00", "#067647", "#7a5af8", "#b42318", "#0e9384"];

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "{}") : null;
  }

  function moneyAxis() {
    return { type: "value", axisLabel: { formatter: function (v) { return v.toLocaleString(); } } };
  }

  function optionFor(data) {
    var base = { color: COLORS, tooltip: { trigger: data.type === "pie" || data.type === "gauge" ? "item" : "axis" } };
    var series = data.series || [];
    if (data.type === "line" || data.type === "bar") {
      base.legend = { top: 0 };
      base.grid = { left: 64, right: 16, top: 32, bottom: 48 };
      base.xAxis = { type: "category", data: data.categories, axisLabel: { rotate: data.type === "line" ? 40 : 0 } };
      base.yAxis = moneyAxis();
      base.series = series.map(function (s) {
        var one = { name: s.name, type: data.type, data: s.data };
        if (data.type === "line") { one.connectNulls = false; one.showSymbol = true; }
        if (data.stacked) { one.stack = "total"; }
        return one;
      });
    } else if (data.type === "hbar") {
      base.grid = { left: 120, right: 32, top: 8, bottom: 32 };
      base.yAxis = { type: "category", data: data.categories, inverse: true };
      base.xAxis = moneyAxis();
      base.series = series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; });
    } else if (data.type === "pie") {
      base.legend = { bottom: 0 };
      base.series = [{
        name: series[0] ? series[0].name : "",
        type: "pie",
        radius: ["35%", "65%"],
        data: data.categories.map(function (name, i) { return { name: name, value: series[0].data[i] }; })
      }];
    } else if (data.type === "gauge") {
      // Up to four gauges a row; the container grows with the rows (see cockpit.css).
      var values = series[0] ? series[0].data : [];
      var perRow = Math.min(values.length, 4) || 1;
      var rows = Math.ceil(values.length / perRow) || 1;
      base.series = values.map(function (v, i) {
        var row = Math.floor(i / perRow);
        var name = data.categories[i] || "";
        return {
          type: "gauge",
          min: 0,
          max: 150,
          center: [((i % perRow + 0.5) * 100 / perRow) + "%", ((row + 0.45) * 100 / rows) + "%"],
          radius: (rows === 1 ? 75 : 36) + "%",
          splitNumber: 3,
          axisLabel: { distance: 14, fontSize: 10 },
          detail: { formatter: "{value}%", fontSize: 14, offsetCenter: [0, "40%"] },
          title: { fontSize: 12, offsetCenter: [0, "95%"] },
          data: [{ value: v, name: name.length > 16 ? name.slice(0, 16) + "…" : name }]
        };
      });
      base.tooltip = { formatter: function (p) { return (data.categories[p.seriesIndex] || "") + ": " + p.value + "%"; } };
    }
    return base;
  }

  function drawCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-cockpit-chart]").forEach(function (el) {
      var data = readData(el.dataset.cockpitChart);
      if (!data) { return; }
      if (data.type === "gauge") {
        var gaugeRows = Math.ceil(((data.series[0] || {}).data || []).length / 4) || 1;
        el.classList.add(gaugeRows > 1 ? "ck-gauges-2" : "ck-gauges-1");
      }
      var chart = window.echarts.init(el);
      chart.setOption(optionFor(data));
      el.dataset.rendered = "true";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function bindToggles(root) {
    root.querySelectorAll("[data-table-toggle]").forEach(function (button) {
      button.addEventListener("click", function () {
        var table = document.getElementById(button.dataset.tableToggle);
        if (!table) { return; }
        var show = table.hidden;
        table.hidden = !show;
        button.setAttribute("aria-expanded", show ? "true" : "false");
        button.textContent = show ? button.dataset.hide : button.dataset.show;
      });
    });
    root.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindToggles(document);
    drawCharts(document);
  });
})();
