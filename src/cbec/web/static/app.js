// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // Keep the district list to the chosen city's districts.
  function bindDistricts(root) {
    root.querySelectorAll("select[data-city-select]").forEach(function (city) {
      var form = city.form;
      var district = form && form.querySelector("select[data-district-select]");
      if (!district) { return; }
      function sync() {
        var first = null;
        Array.prototype.forEach.call(district.options, function (opt) {
          var show = opt.dataset.city === city.value;
          opt.hidden = !show;
          opt.disabled = !show;
          if (show && first === null) { first = opt; }
        });
        var current = district.options[district.selectedIndex];
        if (!current || current.disabled) { district.value = first ? first.value : ""; }
      }
      city.addEventListener("change", sync);
      sync();
    });
  }

  // Bar charts from data-rows='[["name", n], ...]'; the table beside each chart holds the same numbers.
  function drawCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart=bar]").forEach(function (el) {
      var rows = JSON.parse(el.dataset.rows || "[]");
      var chart = window.echarts.init(el);
      chart.setOption({
        grid: { left: 48, right: 16, top: 16, bottom: 72 },
        tooltip: {},
        xAxis: { type: "category", data: rows.map(function (r) { return r[0]; }), axisLabel: { rotate: 40 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", data: rows.map(function (r) { return r[1]; }), itemStyle: { color: "#0b5cad" } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindDistricts(document);
    drawCharts(document);
  });
})();
