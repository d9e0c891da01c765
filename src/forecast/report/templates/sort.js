(function () {
  "use strict";
  function key(cell) {
    var v = cell.getAttribute("data-sort");
    return v === null ? null : parseFloat(v);
  }
  function compare(a, b, dir) {
    var ka = key(a), kb = key(b);
    if (ka !== null && kb !== null) { return dir * (ka - kb); }
    if (ka !== null) { return -1; }
    if (kb !== null) { return 1; }
    return dir * a.textContent.localeCompare(b.textContent, undefined, {numeric: true});
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) { return compare(r1.cells[col], r2.cells[col], dir); });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
