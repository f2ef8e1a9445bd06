/* entas dashboard: draw the charts a page carries as JSON (id "entas-charts") with the bundled plotly.js.
   Sets document.body.dataset.chartsReady to "1" when every chart is drawn, "error" when one failed. */
(function () {
  "use strict";
  var holder = document.getElementById("entas-charts");
  if (!holder || typeof Plotly === "undefined") {
    document.body.dataset.chartsReady = holder ? "error" : "1";
    return;
  }
  var spec = JSON.parse(holder.textContent);
  var jobs = Object.keys(spec.charts).map(function (name) {
    var chart = spec.charts[name];
    return Plotly.newPlot("chart-" + name, chart.data, chart.layout || {}, spec.config);
  });
  Promise.all(jobs).then(function () { document.body.dataset.chartsReady = "1"; },
                         function (error) { document.body.dataset.chartsReady = "error"; console.error(error); });
})();
