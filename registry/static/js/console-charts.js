// The coordinator console's map and charts, drawn with ECharts from JSON data blocks:
//
//   <figure id="region-map">
//     <div class="chart" data-chart="map|load|supply"></div>
//     <script type="application/json">{"lang": "zh"|"en", "labels": {...}, "data": {...}}</script>
//   </figure>
//
// The block follows the chart (or sits inside it). The chart element itself has no id: htmx
// copies the style attribute between elements of the same id when it swaps, which the CSP
// refuses, and ECharts styles its chart element. registry/services/console_charts.py builds
// `data`, templates/coordinator/_map.html and _charts.html add the words. A data block is not
// a script, so the strict CSP (script-src 'self', no inline styles) holds. Tooltips are drawn
// on the canvas (renderMode "richText"): ECharts' HTML tooltips carry style attributes, which
// that CSP refuses. Charts are drawn on load and again after every htmx swap.
"use strict";

(() => {
  const INK = { same: "#1565c0", cross: "#d84315", held: "#2e7d32", proposed: "#b28704",
                capacity: "#cfd8dc", demand: "#d84315", supply: "#1565c0",
                city: "#37474f", outside: "#90a4ae" };
  // Legend marks: a solid and a dashed bar, as the flows are drawn.
  const SOLID = "path://M0,4h30v3h-30z";
  const DASHED = "path://M0,4h8v3h-8z M11,4h8v3h-8z M22,4h8v3h-8z";
  // The grid holds the axes' labels and names within its left/right/top/bottom (ECharts 6).
  const FIT_LABELS = { outerBoundsMode: "same", outerBoundsContain: "all" };
  const FONT = 'system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
  const BAR_HEIGHT = 26;          // px per expert in the load chart
  const LOAD_ROWS_SHOWN = 30;     // more experts than this scroll (dataZoom)
  const quiet = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const drawn = new Map();        // chart element -> {chart, payload, text, observer}

  function dataBlockOf(element) {
    const inside = element.querySelector(':scope > script[type="application/json"]');
    if (inside) return inside;
    const next = element.nextElementSibling;
    return next && next.matches('script[type="application/json"]') ? next : null;
  }

  function nameOf(thing, lang) {
    return lang === "en" ? thing.name_en || thing.name_zh : thing.name_zh || thing.name_en;
  }

  function common(payload) {
    const aria = { enabled: true, decal: { show: true } };
    if (payload.labels.description) aria.label = { description: payload.labels.description };
    return { animation: !quiet, aria, textStyle: { fontFamily: FONT },
             tooltip: { renderMode: "richText", confine: true } };
  }

  // -- the schematic map: x, y come projected from the server; keep them to scale ----------

  function mapBounds(cities) {
    const xs = cities.map((c) => c.x), ys = cities.map((c) => c.y);
    const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    const pad = Math.max(0.15, span * 0.06);
    // More room on the right: the city names are written there.
    return { x0: Math.min(...xs) - pad, x1: Math.max(...xs) + pad * 2.5,
             y0: Math.min(...ys) - pad, y1: Math.max(...ys) + pad };
  }

  // One degree is as long across as up: the grid takes the bounds' shape, centred.
  function mapGrid(element, cities) {
    const b = mapBounds(cities);
    const room = { width: element.clientWidth - 16, height: element.clientHeight - 48 };
    const scale = Math.min(room.width / (b.x1 - b.x0), room.height / (b.y1 - b.y0));
    const width = (b.x1 - b.x0) * scale, height = (b.y1 - b.y0) * scale;
    return {
      grid: { left: (element.clientWidth - width) / 2, top: 40 + (room.height - height) / 2,
              width, height, outerBoundsMode: "none" },
      xAxis: { type: "value", show: false, min: b.x0, max: b.x1 },
      yAxis: { type: "value", show: false, min: b.y0, max: b.y1 },
    };
  }

  function mapHeight(element, cities) {
    const b = mapBounds(cities);
    const height = element.clientWidth * (b.y1 - b.y0) / (b.x1 - b.x0) + 48;
    return Math.round(Math.min(Math.max(height, 320), 600));
  }

  function cityText(city, labels, lang) {
    const lines = [nameOf(city, lang) + (city.in_region ? "" : ` (${labels.outside_region})`),
                   `${labels.open_requests}: ${city.open_requests}`];
    if (city.local_assignments) lines.push(`${labels.local_assignments}: ${city.local_assignments}`);
    return lines.join("\n");
  }

  function flowText(flow, byCode, labels, lang) {
    const kind = flow.cross_province ? labels.cross_province : labels.same_province;
    return `${nameOf(byCode[flow.from], lang)} → ${nameOf(byCode[flow.to], lang)}\n` +
           `${labels.assignments}: ${flow.count} (${kind})`;
  }

  function flowSeries(payload, byCode, cross) {
    const { data, labels, lang } = payload;
    const flows = data.flows.filter((f) => f.from !== f.to && f.cross_province === cross);
    return {
      // Above the dots: an arrow ends on the dot of the request's city.
      type: "lines", coordinateSystem: "cartesian2d", z: 5,
      name: cross ? labels.cross_province : labels.same_province,
      symbol: ["none", "arrow"], symbolSize: 8,
      lineStyle: { color: cross ? INK.cross : INK.same, type: cross ? [8, 5] : "solid",
                   curveness: 0.2, opacity: 0.85 },
      data: flows.map((flow) => ({
        coords: [[byCode[flow.from].x, byCode[flow.from].y], [byCode[flow.to].x, byCode[flow.to].y]],
        lineStyle: { width: Math.min(1.5 + 1.5 * Math.sqrt(flow.count), 8) },
        flow,
      })),
      tooltip: { formatter: (p) => flowText(p.data.flow, byCode, labels, lang) },
    };
  }

  function mapOption(payload, element) {
    const { data, labels, lang } = payload;
    const byCode = Object.fromEntries(data.cities.map((c) => [c.code, c]));
    const dots = {
      type: "scatter", name: labels.open_requests, z: 4,
      itemStyle: { color: INK.city, borderColor: "#fff", borderWidth: 1 },
      label: { show: true, position: "right", formatter: (p) => p.name, fontSize: 11 },
      labelLayout: { hideOverlap: true },
      data: data.cities.map((city) => ({
        name: nameOf(city, lang), value: [city.x, city.y, city.open_requests], city,
        symbolSize: 6 + 5 * Math.sqrt(city.open_requests),
        itemStyle: city.in_region ? undefined : { color: INK.outside },
      })),
      tooltip: { formatter: (p) => cityText(p.data.city, labels, lang) },
    };
    return Object.assign(common(payload), mapGrid(element, data.cities), {
      legend: { top: 0, data: [{ name: labels.open_requests, icon: "circle" },
                               { name: labels.same_province, icon: SOLID },
                               { name: labels.cross_province, icon: DASHED }] },
      series: [flowSeries(payload, byCode, false), flowSeries(payload, byCode, true), dots],
    });
  }

  // -- load against capacity: one row per expert, load stacked over its capacity ------------

  function loadHeight(payload) {
    const rows = Math.min(payload.data.experts.length, LOAD_ROWS_SHOWN);
    return Math.max(200, rows * BAR_HEIGHT + 90);
  }

  function loadOption(payload) {
    const { data, labels } = payload;
    const rows = data.experts;
    const bar = (name, values, color, extra) => Object.assign(
      { type: "bar", name, data: values, barWidth: "60%", barGap: "-100%",
        itemStyle: { color } }, extra);
    const option = Object.assign(common(payload), {
      legend: { top: 0 },
      grid: { left: 8, right: rows.length > LOAD_ROWS_SHOWN ? 40 : 24, top: 32, bottom: 8,
              ...FIT_LABELS },
      xAxis: { type: "value", minInterval: 1, name: labels.assignments, nameLocation: "middle",
               nameGap: 24 },
      yAxis: { type: "category", inverse: true, axisLabel: { interval: 0 },
               data: rows.map((r) => r.name) },
      series: [
        bar(labels.capacity, rows.map((r) => r.capacity), INK.capacity,
            { z: 1, itemStyle: { color: INK.capacity, borderColor: "#78909c", borderWidth: 1 } }),
        bar(labels.held, rows.map((r) => r.held), INK.held, { stack: "load", z: 2 }),
        bar(labels.proposed, rows.map((r) => r.proposed), INK.proposed, { stack: "load", z: 2 }),
      ],
    });
    option.tooltip = Object.assign(option.tooltip, { trigger: "axis",
      formatter: (items) => loadText(rows[items[0].dataIndex], labels) });
    if (rows.length > LOAD_ROWS_SHOWN) {
      option.dataZoom = [
        { type: "slider", yAxisIndex: 0, startValue: 0, endValue: LOAD_ROWS_SHOWN - 1, width: 16,
          right: 8, showDetail: false },
        { type: "inside", yAxisIndex: 0, zoomOnMouseWheel: false, moveOnMouseWheel: true },
      ];
    }
    return option;
  }

  function loadText(row, labels) {
    const lines = [row.name, `${labels.held}: ${row.held}`, `${labels.proposed}: ${row.proposed}`,
                   `${labels.capacity}: ${row.capacity}`];
    if (row.over_capacity) lines.push(labels.over_capacity);
    return lines.join("\n");
  }

  // -- supply and demand per city, for one IPC field at a time ------------------------------

  // <select aria-controls="supply-chart">: the field shown by the chart in #supply-chart.
  function fieldPicker(element) {
    const owner = element.closest("[id]");
    return owner ? document.querySelector(`select[aria-controls="${owner.id}"]`) : null;
  }

  function supplyOption(payload, element) {
    const { data, labels, lang } = payload;
    const picker = fieldPicker(element);
    const field = (picker && picker.value) || (data.fields[0] && data.fields[0].code);
    const cells = Object.fromEntries(data.cells.filter((c) => c.field === field)
                                         .map((c) => [c.city, c]));
    const cities = data.cities.filter((c) => cells[c.code]);
    const values = (key) => cities.map((c) => cells[c.code][key]);
    return Object.assign(common(payload), {
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, ...FIT_LABELS },
      xAxis: { type: "category", data: cities.map((c) => nameOf(c, lang)),
               axisLabel: { interval: 0, rotate: cities.length > 8 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      tooltip: { renderMode: "richText", confine: true, trigger: "axis",
                 formatter: (items) => [items[0].name, ...items.map(
                   (i) => `${i.seriesName}: ${i.value}`)].join("\n") },
      series: [
        { type: "bar", name: labels.demand, data: values("demand"), barMaxWidth: 48,
          itemStyle: { color: INK.demand } },
        { type: "bar", name: labels.supply, data: values("supply"), barMaxWidth: 48,
          itemStyle: { color: INK.supply } },
      ],
    });
  }

  // -- drawing -------------------------------------------------------------------------------

  // option: the whole chart; update: what changes when the chart is resized or its field
  // picked (merged into the chart, so that it moves rather than being drawn anew).
  const KINDS = {
    map: { option: mapOption, update: (payload, element) => mapGrid(element, payload.data.cities),
           height: (element, payload) => mapHeight(element, payload.data.cities),
           ready: (payload) => payload.data.cities.length > 0 },
    load: { option: loadOption, update: () => null,
            height: (_element, payload) => loadHeight(payload),
            ready: (payload) => payload.data.experts.length > 0 },
    supply: { option: supplyOption, update: supplyOption, height: () => 360,
              ready: (payload) => payload.data.cells.length > 0 },
  };

  function redraw(element) {
    const entry = drawn.get(element);
    if (!entry) return;
    entry.chart.resize();
    const update = KINDS[element.dataset.chart].update(entry.payload, element);
    if (update) entry.chart.setOption(update);
  }

  function draw(element) {
    const kind = KINDS[element.dataset.chart];
    const block = dataBlockOf(element);
    if (!kind || !block || !window.echarts) return;
    const previous = drawn.get(element);
    if (previous && previous.text === block.textContent) return;
    if (previous) forget(element);
    const payload = JSON.parse(block.textContent);
    if (!kind.ready(payload)) return;
    // A style sheet may size the chart; otherwise give it the height its data needs.
    if (!element.clientHeight) element.style.height = `${kind.height(element, payload)}px`;
    const chart = window.echarts.init(element, null,
                                      { renderer: "canvas", locale: payload.lang === "en" ? "EN" : "ZH" });
    let size = `${element.clientWidth}x${element.clientHeight}`;
    const observer = new ResizeObserver(() => {
      const now = `${element.clientWidth}x${element.clientHeight}`;
      if (now !== size) { size = now; redraw(element); }
    });
    drawn.set(element, { chart, payload, text: block.textContent, observer });
    chart.setOption(kind.option(payload, element));
    observer.observe(element);
  }

  function fieldChosen(event) {
    const picker = event.target;
    if (!picker.matches || !picker.matches("select[aria-controls]")) return;
    const owner = document.getElementById(picker.getAttribute("aria-controls"));
    const chart = owner && owner.querySelector("[data-chart]");
    if (chart && drawn.has(chart)) redraw(chart);
  }

  function forget(element) {
    const entry = drawn.get(element);
    entry.observer.disconnect();
    entry.chart.dispose();
    drawn.delete(element);
  }

  // Charts whose element an htmx swap took out of the page are disposed of.
  function setUp(root) {
    for (const element of [...drawn.keys()]) if (!element.isConnected) forget(element);
    const found = [...root.querySelectorAll("[data-chart]")];
    if (root.matches && root.matches("[data-chart]")) found.push(root);
    found.forEach(draw);
  }

  function start() {
    document.body.addEventListener("htmx:afterSettle", (event) => setUp(event.target));
    document.addEventListener("change", fieldChosen);
    if (window.echarts) return setUp(document);
    // Scripts that htmx swaps in load in no particular order: wait for ECharts.
    const library = document.querySelector('script[src*="vendor/echarts/"]');
    if (library) library.addEventListener("load", () => setUp(document), { once: true });
  }

  // Loaded twice (a fragment swapped in with the script tags): the first copy does the work.
  if (window.consoleCharts) return;
  window.consoleCharts = { setUp };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
