// A form sent back with errors: move the focus to its error summary (a screen reader reads
// it, a keyboard user continues from there), and let each link in it take the focus to its
// field, opening the folded sections (<details>) it is in. Without JavaScript the summary and
// the messages next to the fields are still there; the links then only scroll.
(function () {
  "use strict";

  function unfold(element) {
    for (var node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return;
    }
    event.preventDefault();
    unfold(target);
    target.focus();
    target.scrollIntoView({ block: "center" });
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    unfold(summary);
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  });
})();
