// The command centre's map: the scope's areas from /api/map, drawn by ECharts from the district's
// own GeoJSON (no tiles), coloured by state (or by the period's case count); a click drills down.
(function () {
  const STATE_COLOURS = {red: "#dc2626", yellow: "#f59e0b", green: "#16a34a", grey: "#9ca3af"};
  const el = document.getElementById("map");
  const labels = JSON.parse(el.dataset.labels);
  const chart = echarts.init(el);

  function countColour(share) {  // light to dark blue
    const light = [219, 234, 254], dark = [30, 64, 175];
    return "rgb(" + light.map((c, i) => Math.round(c + (dark[i] - c) * share)).join(",") + ")";
  }

  async function draw() {
    const answer = await fetch("/api/map?scope=" + encodeURIComponent(el.dataset.scope) + "&" + el.dataset.query);
    if (!answer.ok) return;
    const data = await answer.json();
    const byCount = document.getElementById("colour-by-count").checked;
    const most = Math.max(1, ...data.areas.map(a => a.filed));
    echarts.registerMap(data.scope.id, data.geojson);
    chart.setOption({
      tooltip: {formatter: p => p.data ? `${p.data.label}<br>${labels.open} ${p.data.open} · ${labels.overdue} ` +
        `${p.data.overdue} · ${labels.near} ${p.data.near}<br>${labels.filed} ${p.data.filed}` : p.name},
      series: [{
        type: "map", map: data.scope.id, roam: true, selectedMode: false,
        label: {show: data.areas.length <= 40, color: "#111827", fontWeight: "bold",
                formatter: p => p.data ? p.data.label : ""},
        data: data.areas.map(a => ({
          name: a.id, label: a.name, open: a.open, overdue: a.overdue, near: a.near, filed: a.filed, state: a.state,
          itemStyle: {areaColor: byCount ? countColour(a.filed / most) : STATE_COLOURS[a.state]},
        })),
      }],
    }, true);
    el.dataset.drawn = JSON.stringify(Object.fromEntries(data.areas.map(a => [a.id, a.state])));
    chart.off("click");
    chart.on("click", p => {
      location.href = data.kind === "grid" ? "/cases?scope=" + encodeURIComponent(p.name)
        : "/scope/" + encodeURIComponent(p.name) + "?" + el.dataset.query;
    });
  }

  document.querySelectorAll("input[name=colour]").forEach(input => input.addEventListener("change", draw));
  window.addEventListener("resize", () => chart.resize());
  draw();
  setInterval(draw, 60000);
})();
