// Filters the rows as you type, and reloads the page when the directory
// changes. Without this script the filter is a form and the page reloads
// every 30 seconds.
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var count = document.getElementById("count");
  var top = document.getElementById("top");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  function apply() {
    var query = input.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row, i) {
      row.hidden = query !== "" && texts[i].indexOf(query) < 0;
      if (!row.hidden) { shown += 1; }
    });
    count.textContent = query ? shown + " of " + rows.length + " rows" : "";
  }
  input.addEventListener("input", apply);
  input.form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  function poll() {
    fetch("/state", { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.state !== top.getAttribute("data-state")) {
          var query = input.value.trim();
          location.replace(query ? "/?q=" + encodeURIComponent(query) : "/");
        }
      })
      .catch(function () { return null; });
  }
  setInterval(poll, 3000);
}());
