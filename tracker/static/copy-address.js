// The "Copy" button next to a secret feed address. Without JavaScript (or clipboard access)
// the button stays hidden and the address can be selected and copied by hand.
(function () {
  "use strict";
  if (!navigator.clipboard) return;
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        input.select();
      });
    });
  });
})();
