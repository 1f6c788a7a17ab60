/* zonedata site: sort (click a column header) and filter (a text box) on data tables.
   Progressive enhancement: every table is complete and readable without this script. */
(function () {
  "use strict";

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function isNumber(value) {
    return value !== "" && /^-?\d+(\.\d+)?$/.test(value);
  }

  function enhance(table, number) {
    var body = table.tBodies[0];
    var head = table.tHead;
    if (!body || !head || !head.rows.length) {
      return;
    }
    var rows = Array.prototype.slice.call(body.rows);

    var tools = document.createElement("div");
    tools.className = "table-tools";
    var label = document.createElement("label");
    var id = "filter-" + number;
    label.setAttribute("for", id);
    label.textContent = "Filter rows";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "table-filter";
    input.setAttribute("autocomplete", "off");
    input.setAttribute("placeholder", "type to filter");
    var count = document.createElement("output");
    count.className = "row-count";
    count.setAttribute("aria-live", "polite");
    tools.appendChild(label);
    tools.appendChild(input);
    tools.appendChild(count);
    var anchor = table.parentNode.classList.contains("table-scroll") ? table.parentNode : table;
    anchor.parentNode.insertBefore(tools, anchor);

    function filter() {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (row) {
        var match = query === "" || row.textContent.toLowerCase().indexOf(query) !== -1;
        row.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      count.textContent = shown + " of " + rows.length + " rows";
    }
    input.addEventListener("input", filter);
    filter();

    var headers = Array.prototype.slice.call(head.rows[0].cells);
    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) {
        button.appendChild(th.firstChild);
      }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) {
          other.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var values = rows.map(function (row) {
          return cellText(row, index);
        });
        var numeric = values.some(isNumber) && values.every(function (v) {
          return v === "" || isNumber(v);
        });
        var order = rows.map(function (row, i) {
          return i;
        });
        order.sort(function (a, b) {
          var x = values[a];
          var y = values[b];
          if (x === y) {
            return a - b;
          }
          if (x === "") {
            return 1; /* missing values last, in both directions */
          }
          if (y === "") {
            return -1;
          }
          var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
          if (c === 0) {
            return a - b;
          }
          return ascending ? c : -c;
        });
        order.forEach(function (i) {
          body.appendChild(rows[i]);
        });
        rows = order.map(function (i) {
          return rows[i];
        });
      });
    });
  }

  function init() {
    var tables = document.querySelectorAll("table.data");
    Array.prototype.forEach.call(tables, function (table, i) {
      enhance(table, i + 1);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
