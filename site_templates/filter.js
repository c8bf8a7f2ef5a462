// The "Find a rep" filter: shows the filter box (hidden without JavaScript, when the whole
// list is simply shown) and hides the list items that do not contain what is typed.
(function () {
  "use strict";
  document.querySelectorAll("[data-filter-for]").forEach(function (box) {
    var list = document.getElementById(box.getAttribute("data-filter-for"));
    var input = box.querySelector("input");
    var count = box.querySelector("[data-filter-count]");
    if (!list || !input) return;
    var items = Array.prototype.slice.call(list.children);
    box.hidden = false;
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var shown = 0;
      items.forEach(function (item) {
        var match = item.textContent.toLowerCase().indexOf(wanted) !== -1;
        item.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = wanted ? shown + " of " + items.length + " reps" : "";
    });
  });
})();
