/* A report's chart: Apache ECharts (vendored, web/static/vendor/echarts, loaded by a deferred script
 * before this module runs) draws the bars the page embeds as JSON in #report-chart-data:
 *   {categories: [label, ...], series: [{name, data: [number|null, ...]}], unit: "%" | "", empty: text}
 * A null is a figure with nothing to divide by: no bar, "—" in the tooltip. Nothing here builds HTML
 * from the data: ECharts draws text on a canvas, and the empty message goes in with textContent.
 */

import { parseJSON } from "./dom.js";

var box = document.getElementById("report-chart");
var source = document.getElementById("report-chart-data");

if (box && source) draw(box, parseJSON(source.textContent, null));

function draw(box, data) {
  if (!data || !Array.isArray(data.categories) || !hasValue(data.series) || typeof window.echarts === "undefined") {
    box.classList.add("report-chart-empty");
    box.textContent = (data && data.empty) || "";
    return;
  }
  var unit = data.unit || "";
  var chart = window.echarts.init(box, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 16, right: 16, top: 40, bottom: 8, containLabel: true },
    legend: { top: 4 },
    tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + unit; } },
    xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, rotate: data.categories.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", axisLabel: { formatter: "{value}" + unit }, max: unit === "%" ? maxPercent(data.series) : null },
    series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 36 }; }),
  });
  box.setAttribute("data-drawn", "true");
  window.addEventListener("resize", function () { chart.resize(); });
}

/* Whether any bar has a value (every figure "—": the message instead of empty axes). */
function hasValue(series) {
  return Array.isArray(series) && series.some(function (s) {
    return Array.isArray(s.data) && s.data.some(function (v) { return v != null; });
  });
}

/* Shares up to 100 %: the axis ends at 100 unless a rate per unit is smaller (then ECharts picks). */
function maxPercent(series) {
  var top = 0;
  series.forEach(function (s) { s.data.forEach(function (v) { if (v != null && v > top) top = v; }); });
  return top > 20 ? 100 : null;
}
