// Progressive enhancement: suggest German municipalities while typing (the form works without it).
(function () {
  "use strict";
  document.querySelectorAll("input[data-places]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || !list) { return; }
      timer = setTimeout(function () {
        fetch("/places?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : { places: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.places.map(function (p) {
              var option = document.createElement("option");
              option.value = p.label;
              return option;
            }));
          })
          .catch(function () { /* no suggestions: the server still checks the name */ });
      }, 200);
    });
  });
})();
