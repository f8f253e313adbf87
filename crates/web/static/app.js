// Wuye — first-party script. Pages work without it; it only adds conveniences.
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-toggle-nav]");
    if (t) { document.body.classList.toggle("nav-open"); }
    if (e.target.closest("[data-print]")) { window.print(); return; }
    var c = e.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) { e.preventDefault(); }
  });
  // Filters: changing a select submits its form (text fields submit on Enter).
  document.querySelectorAll("form.filters select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();
