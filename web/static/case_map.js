// A case's place: its grid's own polygon (the district's GeoJSON, no tiles) with a point where it
// was reported. data-drawn says what was drawn, the point in the map's pixels, for the browser tests.
(function () {
  const el = document.getElementById("place-map");
  const place = JSON.parse(el.dataset.place);
  echarts.registerMap(place.grid, place.geojson);
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    geo: {map: place.grid, roam: false, silent: true,
          itemStyle: {areaColor: "#dbeafe", borderColor: "#1e40af", borderWidth: 2}},
    series: place.point ? [{type: "scatter", coordinateSystem: "geo", data: [place.point], symbolSize: 14,
                            itemStyle: {color: "#dc2626", borderColor: "#fff", borderWidth: 2}}] : [],
  });
  el.dataset.drawn = JSON.stringify({grid: place.grid,
                                     point: place.point ? chart.convertToPixel("geo", place.point) : null});
  window.addEventListener("resize", () => chart.resize());
})();
