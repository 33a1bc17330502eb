/* Draws the report's Plotly figures and keeps them in the page's light or dark palette, and
   makes the pages' tables sortable.

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

  // A cell's sort key: a number when it reads as one, else its text; null when empty.
  function sortKey(row, column) {
    const text = row.cells[column].textContent.trim();
    if (text === "" || text === "\u2013") {
      return null;
    }
    const number = Number(text);
    return Number.isNaN(number) ? text.toLowerCase() : number;
  }

  function compare(a, b) {
    if (typeof a === typeof b) {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return typeof a === "number" ? -1 : 1;
  }

  // Rows sorted by one column, ascending then descending on the next click; empty cells
  // stay last either way, and ties keep their order.
  function sortBy(table, heading, column) {
    const ascending = heading.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th[aria-sort]").forEach((th) => th.removeAttribute("aria-sort"));
    heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort(function (first, second) {
      const a = sortKey(first, column);
      const b = sortKey(second, column);
      if (a === null || b === null) {
        return (a === null) - (b === null);
      }
      return ascending ? compare(a, b) : compare(b, a);
    });
    body.append(...rows);
  }

  function makeSortable(table) {
    if (table.dataset.claimlabSortable || !table.tHead || !table.tBodies.length) {
      return;
    }
    table.dataset.claimlabSortable = "true";
    table.tHead.querySelectorAll("th").forEach(function (heading, column) {
      heading.tabIndex = 0;
      heading.title = "Sort by this column";
      heading.addEventListener("click", () => sortBy(table, heading, column));
      heading.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, heading, column);
        }
      });
    });
  }

  // document$ emits on the first load and on every instant-navigation page change.
  document$.subscribe(function () {
    document.querySelectorAll(".claimlab-figure").forEach(draw);
    document.querySelectorAll("article table:not([class])").forEach(makeSortable);
  });
  new MutationObserver(recolor).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"],
  });
})();
