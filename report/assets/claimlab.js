/* Draws the report's Plotly figures and keeps them in the page's light or dark palette.

   Each figure is JSON inside <div class="claimlab-figure"><script type="application/json">.
   Colors are read from mkdocs-material's CSS variables, so they follow the palette toggle. */
(function () {
  "use strict";

  const CONFIG = { responsive: true, displaylogo: false };
  const CLEAR = "rgba(0,0,0,0)";

  // Layout values (as dotted paths) that put a figure in the current palette.
  function paletteUpdate(layout) {
    const style = getComputedStyle(document.body);
    const color = (name) => style.getPropertyValue(name).trim();
    const text = color("--md-default-fg-color");
    const grid = color("--md-default-fg-color--lightest");
    const line = color("--md-default-fg-color--lighter");
    const update = {
      "paper_bgcolor": CLEAR,
      "plot_bgcolor": CLEAR,
      "font.color": text,
      "legend.bgcolor": CLEAR,
      "hoverlabel.bgcolor": color("--md-default-bg-color"),
      "hoverlabel.font.color": text,
    };
    for (const key of Object.keys(layout)) {
      if (/^[xy]axis\d*$/.test(key)) {
        update[key + ".gridcolor"] = grid;
        update[key + ".linecolor"] = line;
        update[key + ".zerolinecolor"] = line;
      }
    }
    return update;
  }

  function setPath(target, path, value) {
    const keys = path.split(".");
    const last = keys.pop();
    let node = target;
    for (const key of keys) {
      node = node[key] = node[key] || {};
    }
    node[last] = value;
  }

  function draw(container) {
    const figure = JSON.parse(container.querySelector("script").textContent);
    const layout = figure.layout || {};
    for (const [path, value] of Object.entries(paletteUpdate(layout))) {
      setPath(layout, path, value);
    }
    Plotly.newPlot(container, figure.data, layout, CONFIG);
  }

  function recolor() {
    for (const container of document.querySelectorAll(".claimlab-figure.js-plotly-plot")) {
      Plotly.relayout(container, paletteUpdate(container.layout));
    }
  }

  // document$ emits on the first load and on every instant-navigation page change.
  document$.subscribe(function () {
    document.querySelectorAll(".claimlab-figure").forEach(draw);
  });
  new MutationObserver(recolor).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });
})();
