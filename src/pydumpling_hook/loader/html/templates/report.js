// Filters the variables of every frame by name or value. Everything else on
// the page works without this script.
(function () {
  "use strict";
  var box = document.getElementById("search");
  var input = document.getElementById("q");
  var hits = document.getElementById("hits");
  if (!box || !input) { return; }
  box.hidden = false;
  var nodes = Array.prototype.slice.call(document.querySelectorAll("li.n"));
  var frames = Array.prototype.slice.call(document.querySelectorAll("details.frame"));
  var texts = nodes.map(function (li) {
    var first = li.firstElementChild;
    var row = first && first.tagName === "DETAILS" ? first.firstElementChild : li;
    var key = row.querySelector(".k");
    var value = row.querySelector(".v");
    return ((key ? key.textContent : "") + "\n" + (value ? value.textContent : "")).toLowerCase();
  });
  function show(all) {
    nodes.forEach(function (li) { li.hidden = !all; });
    frames.forEach(function (frame) { frame.hidden = !all; });
  }
  function apply() {
    var query = input.value.trim().toLowerCase();
    if (!query) {
      show(true);
      hits.textContent = "";
      return;
    }
    show(false);
    var count = 0;
    nodes.forEach(function (li, i) {
      if (texts[i].indexOf(query) < 0) { return; }
      count += 1;
      for (var el = li; el; el = el.parentElement) {
        if (el.tagName === "LI") { el.hidden = false; }
        if (el.tagName === "DETAILS" && el !== li.firstElementChild) {
          el.hidden = false;
          el.open = true;
        }
      }
    });
    hits.textContent = count === 1 ? "1 variable" : count + " variables";
  }
  input.addEventListener("input", apply);
}());
