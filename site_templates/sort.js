// Sortable tables: click (or press Enter/Space on) a column heading to sort the rows by it,
// again to reverse. Tables marked data-sortable; each cell's data-sort-value is the value
// (an exact attainment such as "0.8750", or the name in lower case); empty values go last.
// Without JavaScript the table stays readable in the order the page was built in.
(function () {
  "use strict";

  function value(row, index) {
    var cell = row.children[index];
    return cell ? cell.getAttribute("data-sort-value") || "" : "";
  }

  function compare(kind, a, b) {
    if (a === "" || b === "") return (a === "") - (b === "");
    if (kind === "number") return parseFloat(a) - parseFloat(b);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function sortBy(table, header, index) {
    var kind = header.getAttribute("data-sort");
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    if (kind === "number" && header.getAttribute("aria-sort") === "none") ascending = false;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (x, y) {
      var a = value(x, index), b = value(y, index);
      var order = compare(kind, a, b);
      if (a === "" || b === "") return order;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-sort]").forEach(function (th) {
      th.setAttribute("aria-sort", "none");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = table.querySelectorAll("thead th[data-sort]");
    headers.forEach(function (header) {
      if (!header.hasAttribute("aria-sort")) header.setAttribute("aria-sort", "none");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      var index = Array.prototype.indexOf.call(header.parentNode.children, header);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  });
})();
